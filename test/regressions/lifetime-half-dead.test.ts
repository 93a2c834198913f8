// Issue 11, "Half-dead coordinators": a coordinator whose hs2 port stops answering while its web UI
// /healthz still says OK (every fe_service_thread busy, a stuck frontend) held each request sent
// to it for upstream.headersTimeoutMs (600 s). Now (a) RPCs that impalad answers promptly have
// their own short limit, whose expiry is failed over like a reset, and (b) the optional hs2
// liveness probe marks such a coordinator down.
import { afterEach, expect, it } from 'vitest';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor, withDeadline } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
const clients: Hs2Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await harness?.close();
  harness = undefined;
});

async function pinnedClient(h: Harness) {
  const client = new Hs2Client({ url: h.url, tls: { ca: readCert('ca.pem') } });
  clients.push(client);
  assertSuccess((await client.openSession()).status);
  const home = String((await client.query('select 1')).rows[0]![0]);
  return { client, home, sim: h.cluster.coordinators.find((c) => c.name === home)! };
}


/** Every RPC the tests send; the stuck frontend holds them all, the web UI stays healthy. */
const everyRpc = ['OpenSession', 'ExecuteStatement', 'GetOperationStatus', 'GetResultSetMetadata', 'FetchResults', 'CloseOperation', 'CloseSession', 'GetInfo', 'PingImpalaHS2Service'];

it('a prompt RPC on a stuck hs2 frontend: its short limit expires and a peer answers', async () => {
  const h = (harness = await startHarness({ config: { upstream: { promptRpcTimeoutMs: 1_500 } } }));
  const { client, home, sim } = await pinnedClient(h);
  const executed = await client.executeStatement('select 1');
  assertSuccess(executed.status);
  for (const rpc of everyRpc) sim.stall(rpc);

  const started = performance.now();
  const status = await withDeadline(client.getOperationStatus(executed.operationHandle!), 10_000, 'GetOperationStatus on the stuck coordinator');
  const ms = performance.now() - started;
  // The peer does not know the query: impalad's own error, HTTP 200, no hang and no 5xx.
  expect(client.lastExchange!.status).toBe(200);
  expect(status.status.errorMessage).toMatch(/Invalid or unknown query handle/);
  expect(ms).toBeGreaterThanOrEqual(1_400);
  const line = h.log.access().find((l) => l.rpc === 'GetOperationStatus' && l.failed === home)!;
  expect(line).toMatchObject({ error: 'UPSTREAM_HEADERS_TIMEOUT', replays: 1, affinity: 'repinned' });
  // The web UI never stopped answering: the coordinator is still up (one expiry is one passive failure).
  expect(h.proxy.coordinators.byName(home)!.health).toBe('up');
  sim.releaseStalled();
});

it('ExecuteStatement and FetchResults keep the long limit', async () => {
  const h = (harness = await startHarness({ config: { upstream: { promptRpcTimeoutMs: 500 } } }));
  const { client } = await pinnedClient(h);
  // A statement the simulator runs for 1.2 s before it can be fetched: FetchResults waits (as
  // impalad does with FETCH_ROWS_TIMEOUT_MS) longer than the prompt limit, and must not be cut.
  const { rows } = await client.query('select sleep(1200)');
  expect(rows).toHaveLength(1);
  expect(h.log.access().filter((l) => l.error === 'UPSTREAM_HEADERS_TIMEOUT')).toEqual([]);
});

it('with health.hs2Probe on, a stuck hs2 frontend behind a healthy web UI is marked down and its requests move', async () => {
  const h = (harness = await startHarness({ config: { health: { intervalMs: 400, timeoutMs: 300, rise: 2, fall: 2, hs2Probe: { enabled: true } } } }));
  const { client, home, sim } = await pinnedClient(h);
  const coordinator = h.proxy.coordinators.byName(home)!;
  await waitFor(() => coordinator.lastProbe?.detail.includes('hs2 /cliservice answered 200'), { what: 'an hs2 probe answered' });
  for (const rpc of everyRpc) sim.stall(rpc);
  const inFlight = client.executeStatement('select 1'); // ExecuteStatement keeps the long limit: only the probe can free it
  await sim.waitForStalled('ExecuteStatement');
  await waitFor(() => coordinator.health === 'down', { what: `${home} marked down by the hs2 probe`, timeoutMs: 10_000 });
  expect(h.log.find((l) => l.event === 'health' && l.coordinator === home)!.reason).toMatch(/failed probes: hs2 \/cliservice: no answer within 300 ms/);
  expect(sim.isHealthy).toBe(true);
  const reply = await withDeadline(inFlight, 5_000, 'the in-flight ExecuteStatement');
  expect(reply.status.errorMessage).toMatch(/^Invalid session id: /);
  sim.releaseStalled();
});
