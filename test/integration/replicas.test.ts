// Pins need no shared state (DESIGN §3): the affinity token is an HMAC of the coordinator's name,
// so a proxy restarted with the same secret, and two replicas sharing it, agree on every pin.
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { startProxy, type ProxyInstance } from '../../src/main.ts';
import { startCluster, type SimulatedCluster } from '../../src/tools/simulator/index.ts';
import { StatusCode } from '../../src/tools/thrift/hs2.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client } from '../helpers/hs2-client.ts';
import { LogSink } from '../helpers/log-sink.ts';
import { coordinatorTls, harnessConfig } from '../helpers/proxy-harness.ts';

/** Not about health: probes slow enough that a loaded CI machine never marks a coordinator down. */
const steadyHealth = { intervalMs: 2_000, timeoutMs: 1_000, rise: 2, fall: 3 };

let cluster: SimulatedCluster | undefined;
const proxies: ProxyInstance[] = [];
const clients: Hs2Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await cluster?.close();
  cluster = undefined;
});

async function startReplica(port = 0): Promise<{ proxy: ProxyInstance; log: LogSink; url: string }> {
  const log = new LogSink();
  const proxy = await startProxy(validateConfig(harnessConfig(cluster!, { listen: { https: { host: '127.0.0.1', port } }, health: steadyHealth })), log.logger);
  proxies.push(proxy);
  return { proxy, log, url: proxy.url('https') };
}

function connect(url: string): Hs2Client {
  const client = new Hs2Client({ url, tls: { ca: readCert('ca.pem') } });
  clients.push(client);
  return client;
}

async function whereIs(client: Hs2Client): Promise<string> {
  return String((await client.query('select 1')).rows[0]![0]);
}

describe('pins without shared state', () => {
  it('a proxy restarted with the same secret keeps every client on its coordinator and session', async () => {
    cluster = await startCluster({ count: 3, tls: coordinatorTls });
    const first = await startReplica();
    const pinned = new Map<Hs2Client, string>();
    for (let i = 0; i < 6; i++) {
      const client = connect(first.url);
      await client.openSession();
      pinned.set(client, await whereIs(client));
    }
    expect(new Set(pinned.values()).size).toBe(3); // least-sessions spread them

    await first.proxy.close();
    proxies.splice(proxies.indexOf(first.proxy), 1);
    const second = await startReplica(Number(new URL(first.url).port));
    for (const [client, name] of pinned) {
      expect(await whereIs(client)).toBe(name); // the same session: no "Invalid session id"
      expect(client.exchanges.at(-1)!.setCookies).toEqual([]);
    }
    expect(second.log.access().every((line) => line.affinity === 'kept')).toBe(true);
  });

  it('two replicas with the same secret: a client alternating between them stays pinned', async () => {
    cluster = await startCluster({ count: 3, tls: coordinatorTls });
    const replicas = [await startReplica(), await startReplica()];
    // One logical client: two transports (one per replica) sharing the cookie jar and the session.
    const [viaA, viaB] = replicas.map((replica) => connect(replica.url)) as [Hs2Client, Hs2Client];
    const handOver = (from: Hs2Client, to: Hs2Client) => {
      to.jar.store([...from.cookies].map(([name, value]) => `${name}=${value}; Path=/`));
      to.session = from.session;
    };
    expect((await viaA.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    const home = await whereIs(viaA);
    let current = viaA;
    for (let i = 0; i < 6; i++) {
      const next = current === viaA ? viaB : viaA;
      handOver(current, next);
      expect(await whereIs(next)).toBe(home);
      current = next;
    }
    // A new session through the other replica lands on the same coordinator too.
    const next = current === viaA ? viaB : viaA;
    handOver(current, next);
    expect((await next.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    expect(await whereIs(next)).toBe(home);

    const [logA, logB] = replicas.map((replica) => replica.log.access());
    expect(logA!.length).toBeGreaterThan(10);
    expect(logB!.length).toBeGreaterThan(10);
    expect([...logA!, ...logB!].every((line) => line.coordinator === home)).toBe(true);
    expect([...logA!, ...logB!].filter((line) => line.affinity !== 'kept')).toHaveLength(1); // the first OpenSession
    expect(cluster.coordinators.find((c) => c.name === home)!.openSessions).toBe(2);
  });
});
