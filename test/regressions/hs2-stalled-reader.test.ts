// Regression: a client that stops reading a large response held a connection of its coordinator's
// RPC pool for ever. The proxy pauses the coordinator's reply when the client's socket buffer is
// full, and undici's body timeout does not run while a reply is paused, so nothing ever ended it:
// with as many stalled readers as upstream.connectionsPerCoordinator, every other client's RPC to
// that coordinator queued behind them. The proxy now cuts a response that waits on its client for
// server.responseDrainTimeoutMs, which frees the connection.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FetchOrientation, encodeCall } from '../../src/tools/thrift/hs2.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { startStalledReader } from '../helpers/raw-tls.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { readCert } from '../helpers/certs.ts';

const replyBytes = 24 * 1024 * 1024; // far more than the socket buffers on both sides hold
const drainTimeoutMs = 1_000;
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    coordinators: 1,
    config: { upstream: { connectionsPerCoordinator: 1 }, server: { responseDrainTimeoutMs: drainTimeoutMs } },
  });
});
afterAll(async () => {
  await harness?.close();
});

it('a client that stops reading a large reply is cut after responseDrainTimeoutMs, and the pool connection it held serves others', async () => {
  const reader = new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
  const other = new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
  try {
    assertSuccess((await reader.openSession()).status);
    const executed = await reader.executeStatement(`select repeat_bytes(${replyBytes})`);
    assertSuccess(executed.status);
    assertSuccess((await other.openSession()).status);

    // The hostile part: a FetchResults whose reply the client never reads (its socket paused).
    const cookie = reader.jar.header('/cliservice')!;
    const body = encodeCall('FetchResults', { operationHandle: executed.operationHandle!, orientation: FetchOrientation.NEXT, maxRows: 1 });
    const stalled = await startStalledReader(Number(new URL(harness.url).port), Buffer.concat([Buffer.from(`POST /cliservice HTTP/1.1\r\nhost: proxy\r\ncontent-type: application/x-thrift\r\ncookie: ${cookie}\r\ncontent-length: ${body.length}\r\n\r\n`), body]));
    const coordinator = harness.proxy.coordinators.all[0]!;
    await waitFor(() => [...coordinator.inFlight].some((request) => (request as { isUpstreamPaused?: boolean }).isUpstreamPaused), { what: 'the reply paused for the stalled client', timeoutMs: 15_000 });

    // The one pool connection is the stalled reply's: this RPC waits until the proxy cuts it.
    const started = Date.now();
    assertSuccess((await other.getInfo()).status);
    // Reading again, the stalled client finds its response cut short: what was buffered, then the end.
    expect(await stalled.readRest()).toBeLessThan(replyBytes);
    // Loose: the cut comes after the limit plus a sweep; the bound only says "not for ever".
    expect(Date.now() - started).toBeLessThan(drainTimeoutMs + 10_000);
    const line = await waitFor(() => harness.log.access().find((l) => l.rpc === 'FetchResults' && l.error === 'CLIENT_TIMEOUT'), { what: 'the cut FetchResults access line' });
    expect(line).toMatchObject({ status: 200, coordinator: coordinator.name });
    // The coordinator did nothing wrong.
    expect(coordinator.health).toBe('up');
  } finally {
    reader.close();
    other.close();
  }
}, 40_000);
