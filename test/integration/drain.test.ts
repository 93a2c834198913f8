// Operator states (DESIGN §4): `draining` keeps the clients pinned to a coordinator but gives it no
// new ones, and re-pins an OpenSession from a client pinned there; `disabled` re-pins everything.
// The state comes from the config of a proxy restarted on the same port with the same secret.
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import type { OperatorState } from '../../src/config/schema.ts';
import { startProxy, type ProxyInstance } from '../../src/main.ts';
import { startCluster, type SimulatedCluster } from '../../src/tools/simulator/index.ts';
import { StatusCode } from '../../src/tools/thrift/hs2.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client } from '../helpers/hs2-client.ts';
import { LogSink } from '../helpers/log-sink.ts';
import { coordinatorTls, harnessConfig } from '../helpers/proxy-harness.ts';

const INVALID_SESSION = /^Invalid session id: /;

/** Not about health: probes slow enough that a loaded CI machine never marks a coordinator down. */
const steadyHealth = { intervalMs: 2_000, timeoutMs: 1_000, rise: 2, fall: 3 };

let cluster: SimulatedCluster | undefined;
let proxy: ProxyInstance | undefined;
const clients: Hs2Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await proxy?.close();
  await cluster?.close();
  proxy = cluster = undefined;
});

async function startProxyWith(states: Record<string, OperatorState>, port = 0): Promise<{ proxy: ProxyInstance; log: LogSink; url: string }> {
  const log = new LogSink();
  const config = harnessConfig(cluster!, { listen: { https: { host: '127.0.0.1', port } }, health: steadyHealth });
  config.coordinators = config.coordinators.map((c) => ({ ...c, state: states[c.name] ?? 'enabled' }));
  proxy = await startProxy(validateConfig(config), log.logger);
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

/** Clients pinned by a first proxy, then the proxy restarted on the same port with `states(pinnedTo)`. */
async function pinThenRestart(states: (pinned: string) => Record<string, OperatorState>) {
  cluster = await startCluster({ count: 3, tls: coordinatorTls });
  const first = await startProxyWith({});
  const client = connect(first.url);
  await client.openSession();
  const pinned = await whereIs(client);
  const port = Number(new URL(first.url).port);
  await first.proxy.close();
  const second = await startProxyWith(states(pinned), port);
  return { client, pinned, ...second };
}

describe('operator states', () => {
  it('draining: the pinned session keeps working, its next OpenSession is re-pinned, new clients go elsewhere', async () => {
    const { client, pinned, log, url } = await pinThenRestart((pinned) => ({ [pinned]: 'draining' }));
    for (let i = 0; i < 3; i++) expect(await whereIs(client)).toBe(pinned);
    expect(client.lastExchange!.setCookies).toEqual([]);
    expect(log.access().every((line) => line.affinity === 'kept' && line.coordinator === pinned)).toBe(true);

    for (let i = 0; i < 4; i++) {
      const fresh = connect(url);
      await fresh.openSession();
      expect(await whereIs(fresh)).not.toBe(pinned);
    }

    const opened = await client.openSession();
    expect(opened.status.statusCode).toBe(StatusCode.SUCCESS);
    expect(log.access().at(-1)).toMatchObject({ rpc: 'OpenSession', affinity: 'repinned', reason: 'draining' });
    expect(client.lastExchange!.setCookies[0]).toMatch(/^impala\.session\.id=/);
    const moved = await whereIs(client);
    expect(moved).not.toBe(pinned);
    expect(cluster!.coordinators.find((c) => c.name === pinned)!.openSessions).toBe(1); // the old session was left alone
  });

  it('draining with no peer available: OpenSession is still served there rather than a 503', async () => {
    const { client, pinned } = await pinThenRestart((pinned) => Object.fromEntries(cluster!.coordinators.map((c) => [c.name, c.name === pinned ? 'draining' : 'disabled'])));
    expect((await client.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    expect(await whereIs(client)).toBe(pinned);
  });

  it('disabled: every RPC of a client pinned there is re-pinned; the session RPC gets "Invalid session id" from the peer', async () => {
    const { client, pinned, log } = await pinThenRestart((pinned) => ({ [pinned]: 'disabled' }));
    const reply = await client.ping();
    expect(client.lastExchange!.status).toBe(200);
    expect(reply.status.errorMessage).toMatch(INVALID_SESSION);
    const repinned = log.access().at(-1)!;
    expect(repinned).toMatchObject({ affinity: 'repinned', reason: 'disabled' });
    expect(repinned.coordinator).not.toBe(pinned);
    expect((await client.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    expect(await whereIs(client)).toBe(repinned.coordinator);
    expect(cluster!.coordinators.find((c) => c.name === pinned)!.rpcLog('PingImpalaHS2Service')).toHaveLength(0);
  });
});
