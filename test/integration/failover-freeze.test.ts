// A frozen coordinator (SIGSTOPped impalad: the kernel accepts TCP, nothing ever answers, /healthz
// hangs) must cost its in-flight requests fall × interval + timeout, not the 10-minute response
// timeout: health checks mark it down and the proxy replays the requests to a peer (DESIGN §5).
// This file runs the DEFAULT health settings (2 s / 1 s / rise 2 / fall 3) on purpose.
import { afterEach, expect, it } from 'vitest';
import { StatusCode } from '../../src/tools/thrift/hs2.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client } from '../helpers/hs2-client.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';

const INVALID_SESSION = /^Invalid session id: [0-9a-f]{16}:[0-9a-f]{16}\n$/;
const defaults = { intervalMs: 2_000, timeoutMs: 1_000, rise: 2, fall: 3 };
/** fall × interval + timeout: the first failing probe starts at most one interval after the freeze. */
const budgetMs = defaults.fall * defaults.intervalMs + defaults.timeoutMs;

let harness: Harness | undefined;
const clients: Hs2Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await harness?.close();
  harness = undefined;
});

it(`frozen coordinator: in-flight requests resolve within ≈${budgetMs} ms with the peer's Thrift reply`, { timeout: 20_000 }, async () => {
  const h = (harness = await startHarness({ config: { health: defaults } }));
  const connect = (connection: 'per-rpc' | 'keep-alive') => {
    const client = new Hs2Client({ url: h.url, tls: { ca: readCert('ca.pem') }, connection });
    clients.push(client);
    return client;
  };
  const first = connect('per-rpc');
  await first.openSession();
  const { rows } = await first.query('select 1');
  const name = String(rows[0]![0]);
  // Three more sessions on the same coordinator (cookie copied), one of them a kept-alive client.
  const others = [connect('keep-alive'), connect('per-rpc'), connect('keep-alive')];
  for (const client of others) {
    client.jar.store([`impala.session.id=${first.cookies.get('impala.session.id')}; Path=/`]);
    await client.openSession();
    expect(String((await client.query('select 1')).rows[0]![0])).toBe(name);
  }
  const victim = h.cluster.coordinators.find((c) => c.name === name)!;

  victim.freeze();
  const frozenAt = performance.now();
  const inFlight = [first, ...others].map(async (client, i) => {
    const reply = i % 2 === 0 ? await client.executeStatement('select 1') : await client.ping();
    return { reply, status: client.lastExchange!.status, ms: performance.now() - frozenAt };
  });
  const results = await Promise.all(inFlight);
  const down = h.log.find((line) => line.event === 'health' && line.coordinator === name && line.health === 'down')!;
  const downMs = Date.parse(String(down.time)) - (Date.now() - (performance.now() - frozenAt));
  console.log(`frozen coordinator: marked down after ${Math.round(downMs)} ms; in-flight requests resolved after ${results.map((r) => Math.round(r.ms)).join(', ')} ms (budget ${budgetMs} ms)`);
  for (const result of results) {
    expect(result.status).toBe(200);
    expect(result.reply.status.errorMessage).toMatch(INVALID_SESSION);
  }
  // Ordered, not timed: a request waiting on a new connection moves at its connect timeout
  // (upstream.connectTimeoutMs, 5 s), the others when the probes mark the coordinator down; none
  // waits for anything else. The one wall-clock bound is the detection itself, with the margin a
  // loaded 2-core machine needs over fall × interval + timeout.
  expect(downMs).toBeLessThan(budgetMs + 2_500);
  for (const result of results) expect(result.ms).toBeLessThan(Math.max(downMs, 5_000) + 1_500);
  expect(h.proxy.coordinators.byName(name)!.health).toBe('down');

  for (const client of [first, ...others]) {
    expect((await client.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    expect(String((await client.query('select 1')).rows[0]![0])).not.toBe(name);
  }
});
