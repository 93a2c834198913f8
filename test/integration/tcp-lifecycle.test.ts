// TCP listeners across a reload and a shutdown (issue 13 item 7): connections open while a reload
// removes and adds coordinators keep their session; new connections follow the new config. SIGTERM
// gives open TCP connections the shutdown grace period (server.shutdownTimeoutMs), then closes
// them, and the process exits 0.
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { startCluster, type SimulatedCluster } from '../../src/tools/simulator/index.ts';
import { ChildProxy } from '../helpers/child-proxy.ts';
import { Hs2BinaryClient, Hs2TransportError } from '../helpers/hs2-client.ts';
import { sessionHome } from '../helpers/tcp-harness.ts';
import { coordinatorTls, harnessConfig, startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
let cluster: SimulatedCluster | undefined;
let child: ChildProxy | undefined;
const clients: Hs2BinaryClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await harness?.close();
  await child?.stop();
  await cluster?.close();
  harness = undefined;
  child = undefined;
  cluster = undefined;
});

function binaryClient(port: number): Hs2BinaryClient {
  const client = new Hs2BinaryClient({ host: '127.0.0.1', port, reconnect: false });
  clients.push(client);
  return client;
}


describe('TCP listener lifecycle', () => {
  it('a reload removing and adding coordinators keeps open connections; new ones follow the new config', async () => {
    const h = (harness = await startHarness({ cluster: { hs2TcpTls: false }, config: { tcp: [{ name: 'hs2', host: '127.0.0.1', port: 0 }] } }));
    const port = h.proxy.tcpListeners[0]!.port;
    const tcp = [{ name: 'hs2', host: '127.0.0.1', port }];
    const base = harnessConfig(h.cluster, { tcp });
    const byHome = new Map<string, Hs2BinaryClient>();
    while (byHome.size < 3) {
      const client = binaryClient(port);
      byHome.set(await sessionHome(client), client);
    }
    const removed = h.cluster.coordinators[2]!.name;

    await h.proxy.reload(validateConfig({ ...base, coordinators: base.coordinators!.slice(0, 2) }));
    // Its session lives on, on its connection: removing a coordinator from the config is not a failure of it.
    expect(String((await byHome.get(removed)!.query('select 1')).rows[0]![0])).toBe(removed);
    for (let i = 0; i < 4; i++) expect(await sessionHome(binaryClient(port))).not.toBe(removed);

    await h.proxy.reload(validateConfig(base));
    // Back in the config, and with the fewest connections now, it takes the next new ones.
    expect(await sessionHome(binaryClient(port))).toBe(removed);
    for (const [home, client] of byHome) expect(String((await client.query('select 1')).rows[0]![0])).toBe(home);
    expect(h.log.access().filter((line) => line.event === 'tcp')).toEqual([]); // none closed
  });

  it('SIGTERM: open TCP connections get the grace period, then are closed; the process exits 0', async () => {
    cluster = await startCluster({ count: 2, hs2TcpTls: false, tls: coordinatorTls });
    child = new ChildProxy(harnessConfig(cluster, { tcp: [{ name: 'hs2', host: '127.0.0.1', port: 0 }], server: { shutdownTimeoutMs: 1_500 } }));
    const listening = await child.waitForLine((line) => line.event === 'listening' && line.kind === 'tcp', 'the TCP listener');
    const client = binaryClient(listening.port as number);
    await sessionHome(client);

    child.signal('SIGTERM');
    await child.waitForLine((line) => line.event === 'signal' && line.signal === 'SIGTERM', 'the SIGTERM line');
    const signalledAt = performance.now();
    // Within the grace period the session still works.
    expect(String((await client.query('select 1')).rows[0]![0])).toMatch(/^coordinator-/);
    // Then the proxy closes it, and exits.
    await waitFor(() => !client.isConnected, { what: 'the connection closed by the shutdown', timeoutMs: 10_000 });
    const closedAfterMs = performance.now() - signalledAt;
    await expect(client.query('select 1')).rejects.toBeInstanceOf(Hs2TransportError);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(closedAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(child.lines.find((line) => line.event === 'tcp')).toMatchObject({ end: 'shutdown' });
    expect(child.stderr).toBe('');
  });
});
