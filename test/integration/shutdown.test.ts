// SIGTERM under load, in a child process running the real CLI: in-flight RPCs (held by the
// simulator's stall) complete, new connections are refused, and the process exits 0 on its own,
// which it only can with no handle left open. Past server.shutdownTimeoutMs what is left is cut.
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCluster, type SimulatedCluster } from '../../src/tools/simulator/index.ts';
import { ChildProxy } from '../helpers/child-proxy.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { coordinatorTls, harnessConfig } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

function isRefused(url: string): Promise<boolean> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('SIGTERM', () => {
  let cluster: SimulatedCluster;
  let child: ChildProxy | undefined;
  beforeEach(async () => {
    cluster = await startCluster({ count: 2, tls: coordinatorTls });
  });
  afterEach(async () => {
    await child?.stop();
    await cluster?.close();
  });

  const stalled = () => cluster.coordinators.reduce((sum, sim) => sum + sim.stalledCount('ExecuteStatement'), 0);

  it('finishes every in-flight RPC, then exits 0 with nothing left open', async () => {
    child = new ChildProxy(harnessConfig(cluster, { server: { shutdownTimeoutMs: 20_000 }, admin: { host: '127.0.0.1', port: 0 } }));
    const url = await child.url('https');
    const clients = Array.from({ length: 8 }, (_, i) => new Hs2Client({ url, tls: { ca: readCert('ca.pem') }, connection: i % 2 === 0 ? 'keep-alive' : 'per-rpc' }));
    for (const client of clients) assertSuccess((await client.openSession()).status);
    // An idle keep-alive client must not hold the shutdown up.
    const idle = new Hs2Client({ url, tls: { ca: readCert('ca.pem') }, connection: 'keep-alive' });
    assertSuccess((await idle.openSession()).status);

    for (const sim of cluster.coordinators) sim.stall('ExecuteStatement');
    const inFlight = clients.map((client) => client.executeStatement('select 1'));
    await waitFor(() => stalled() === clients.length, { what: 'every ExecuteStatement held by the simulators' });

    child.signal('SIGTERM');
    await child.waitForLine((l) => l.event === 'signal' && l.signal === 'SIGTERM', 'the SIGTERM line');
    await waitFor(() => isRefused(url), { what: 'the listener to stop accepting' });
    expect(child.process.exitCode).toBeNull(); // still finishing

    const releasedAt = Date.now();
    for (const sim of cluster.coordinators) sim.releaseStalled();
    const replies = await Promise.all(inFlight);
    for (const reply of replies) assertSuccess(reply.status);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    // Keep-alive connections are closed as their last response ends, not after keepAliveTimeoutMs.
    expect(Date.now() - releasedAt).toBeLessThan(5_000);
    await child.waitForLine((l) => l.event === 'closed', 'the closed line');
    for (const client of [...clients, idle]) client.close();
  });

  it('cuts what is still running after server.shutdownTimeoutMs and still exits 0', async () => {
    child = new ChildProxy(harnessConfig(cluster, { server: { shutdownTimeoutMs: 500 } }));
    const url = await child.url('https');
    const client = new Hs2Client({ url, tls: { ca: readCert('ca.pem') }, connection: 'keep-alive' });
    assertSuccess((await client.openSession()).status);
    for (const sim of cluster.coordinators) sim.stall('ExecuteStatement');
    const held = client.executeStatement('select 1').then(
      () => 'answered',
      () => 'cut',
    );
    await waitFor(() => stalled() === 1, { what: 'the held ExecuteStatement' });
    const signalledAt = Date.now();
    child.signal('SIGTERM');
    expect({ ...(await child.exited), stderr: child.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    expect(await held).toBe('cut');
    expect(child.lines.some((l) => l.event === 'shutdown-timeout')).toBe(true);
    client.close();
  });
});
