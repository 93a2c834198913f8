// Reload under load: 20 clients keep running RPCs while the config is reloaded five times (a
// coordinator removed and added back, certificates swapped, policy and timeouts changed). The only
// failures allowed are the re-pins of clients whose coordinator was removed. Then a broken config
// is rejected and the old one keeps serving; and a real SIGHUP reaches a child process.
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { startCluster, type SimulatedCluster } from '../../src/tools/simulator/index.ts';
import { ChildProxy } from '../helpers/child-proxy.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { Hs2Client, HttpError, assertSuccess } from '../helpers/hs2-client.ts';
import { coordinatorTls, harnessConfig, startHarness, steadyHealth, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

function peerFingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca: readCert('ca.pem') }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

const fingerprintOf = (name: string) => new X509Certificate(readCert(name)).fingerprint256;

describe('reload under load', () => {
  let harness: Harness;
  let base: ConfigInput;
  // This test is about reloads, not health. With the harness's 450 ms and fall 2, a full suite
  // beside two busy loops once marked a live coordinator down, and its clients' re-pins read as
  // reload failures.
  beforeAll(async () => {
    harness = await startHarness({ config: { health: steadyHealth } });
    base = harnessConfig(harness.cluster, { health: steadyHealth });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('20 clients see no failure across five reloads but the re-pins off a removed coordinator', async () => {
    const [first, second, third] = base.coordinators!;
    const removedName = third!.name;
    let isRunning = true;
    let rpcs = 0;
    const failures: unknown[] = [];
    const expectedRepins: string[] = [];

    const runClient = async (i: number) => {
      const client = new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') }, connection: i % 2 === 0 ? 'per-rpc' : 'keep-alive' });
      // The coordinator the client's session lives on, read from its affinity cookie.
      const home = () => harness.proxy.coordinators.tokens.lookup(client.cookies.get('impala.session.id') ?? '')?.name;
      try {
        assertSuccess((await client.openSession()).status);
        let sessionHome = home();
        rpcs += 1;
        while (isRunning) {
          try {
            const reply = await client.ping();
            rpcs += 1;
            if (reply.status.statusCode === 0) continue;
            if (/^Invalid session id/.test(reply.status.errorMessage ?? '') && sessionHome === removedName) {
              expectedRepins.push(sessionHome);
              assertSuccess((await client.openSession()).status); // what impala-shell does at its next command
              sessionHome = home();
              rpcs += 1;
            } else failures.push({ ...reply.status, sessionHome, now: home() });
          } catch (error) {
            failures.push(error instanceof HttpError ? `HTTP ${error.status}` : error);
            if (failures.length > 50) return;
          }
        }
      } finally {
        client.close();
      }
    };
    const clients = Array.from({ length: 20 }, (_, i) => runClient(i));
    const progress = async (what: string) => {
      const target = rpcs + 100;
      await waitFor(() => rpcs >= target || failures.length > 0, { what: `RPCs after ${what}`, timeoutMs: 20_000 });
    };

    try {
      await progress('start');
      const swapped = { ...base, tls: { certFile: certPath('coordinator.pem'), keyFile: certPath('coordinator-key.pem') } };
      const steps: [string, ConfigInput][] = [
        ['remove a coordinator', { ...base, coordinators: [first!, second!] }],
        ['add it back', base],
        ['swap certificates', swapped],
        ['policy and timeouts', { ...swapped, balancer: { policy: 'round-robin' }, upstream: { ...base.upstream, headersTimeoutMs: 120_000 } }],
        // New health settings, with a probe timeout a loaded machine meets (150 ms marked every coordinator down
        // under 20 clients and three simulators in this one process).
        ['certificates back', { ...base, health: { intervalMs: 800, timeoutMs: 700, rise: 2, fall: 3 } }],
      ];
      for (const [what, config] of steps) {
        const summary = await harness.proxy.reload(validateConfig(config));
        if (what === 'remove a coordinator') expect(summary.removed).toEqual([removedName]);
        if (what === 'add it back') expect(summary.added).toEqual([removedName]);
        if (what === 'swap certificates') expect(await peerFingerprint(harness.url)).toBe(fingerprintOf('coordinator.pem'));
        if (what === 'certificates back') expect(await peerFingerprint(harness.url)).toBe(fingerprintOf('proxy.pem'));
        await progress(what);
      }
      expect(harness.proxy.status().generation).toBe(6);

      // A config that fails (its certificate cannot be read) is rejected; generation 6 serves on.
      const broken = validateConfig({ ...base, tls: { certFile: '/nonexistent/proxy.pem', keyFile: certPath('proxy-key.pem') } });
      await expect(harness.proxy.reload(broken)).rejects.toThrow(/nonexistent/);
      expect(harness.log.lines.filter((l) => l.event === 'reload-rejected')).toHaveLength(1);
      expect(harness.proxy.status().generation).toBe(6);
      await progress('a rejected reload');
    } finally {
      isRunning = false;
      await Promise.all(clients);
    }

    // A coordinator marked down moves its clients too; if one was, its health lines say why.
    expect(failures, JSON.stringify(harness.log.lines.filter((l) => l.event === 'health'))).toEqual([]);
    // least-sessions spread the 20 sessions, so some lived on the removed coordinator.
    expect(expectedRepins.length).toBeGreaterThan(0);
    // Tokens of removed coordinators still resolve, so their clients are re-pinned as `removed`,
    // never mistaken for forged cookies.
    const moved = harness.log.access().filter((l) => l.affinity === 'repinned' || l.affinity === 'invalid');
    expect(moved.filter((l) => l.reason === 'removed').length).toBeGreaterThanOrEqual(expectedRepins.length);
    expect(moved.filter((l) => l.affinity === 'invalid')).toEqual([]);
    // Sessions on kept coordinators were carried over: the counts match the simulators'.
    const counts = Object.fromEntries(harness.proxy.coordinators.all.map((c) => [c.name, c.sessions]));
    for (const sim of harness.cluster.coordinators) {
      if (sim.name !== removedName) expect(counts[sim.name]).toBe(sim.openSessions);
    }
    const reloads = harness.log.lines.filter((l) => l.event === 'reload');
    expect(reloads).toHaveLength(5);
  });
});

describe('SIGHUP', () => {
  let cluster: SimulatedCluster;
  let child: ChildProxy | undefined;
  beforeAll(async () => {
    cluster = await startCluster({ count: 2, tls: coordinatorTls });
  });
  afterAll(async () => {
    await child?.stop();
    await cluster?.close();
  });

  it('reloads the config file in a child process, and rejects a broken file with one line', async () => {
    const config = harnessConfig(cluster, { coordinators: [{ name: cluster.coordinators[0]!.name, host: '127.0.0.1', hs2HttpPort: cluster.coordinators[0]!.hs2HttpPort, webuiPort: cluster.coordinators[0]!.webuiPort }] });
    child = new ChildProxy(config);
    const url = await child.url('https');
    const client = new Hs2Client({ url, tls: { ca: readCert('ca.pem') } });
    assertSuccess((await client.openSession()).status);

    child.writeConfig(harnessConfig(cluster));
    child.signal('SIGHUP');
    const reloaded = await child.waitForLine((l) => l.event === 'reload', 'the reload line');
    expect(reloaded).toMatchObject({ generation: 2, added: [cluster.coordinators[1]!.name], removed: [] });

    child.writeConfig('coordinators: [ { name: x, host: 127.0.0.1, hs2Port: 99999 } ]\n');
    child.signal('SIGHUP');
    const rejected = await child.waitForLine((l) => l.event === 'reload-rejected', 'the rejection line');
    expect(rejected.level).toBe('error');
    expect(rejected.msg).toMatch(/hs2Port/);
    assertSuccess((await client.ping()).status); // still served, same session
    client.close();

    child.signal('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});
