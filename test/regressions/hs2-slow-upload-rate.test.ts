// Regression: a body streamed past maxReplayBytes that trickles — a byte more often than the body
// idle timeout, so it is never quiet long enough to be cut — held a connection of its coordinator's
// streaming pool for as long as the client liked. A few of them (streamingConnectionsPerCoordinator)
// and every legitimate large upload to that coordinator queued behind them. The proxy now also
// wants a minimum rate (server.requestBodyMinBytesPerSec, as Apache's mod_reqtimeout MinRate) once
// a streamed body has been read for the idle timeout; below it the body is answered 408.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeCall } from '../../src/tools/thrift/hs2.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { statusOf } from '../helpers/raw-tls.ts';
import { startTrickler } from '../helpers/trickler.ts';
import { waitFor, withDeadline } from '../helpers/wait-for.ts';

const maxReplayBytes = 1024;
const idleTimeoutMs = 1_000;
const trickleEveryMs = 100; // 10 bytes/s: never quiet for the idle timeout, far below the minimum
/** Without the minimum, the trickler holds the streaming connection for its whole trickle (30 s). */
const trickleTimes = 300;
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    coordinators: 1,
    config: { upstream: { maxReplayBytes, streamingConnectionsPerCoordinator: 1 }, server: { requestBodyIdleTimeoutMs: idleTimeoutMs, requestBodyMinBytesPerSec: 500 } },
  });
});
afterAll(async () => {
  await harness?.close();
});

it('a streamed upload slower than requestBodyMinBytesPerSec is answered 408, and a large upload waiting for its connection is served', async () => {
  const good = new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
  try {
    assertSuccess((await good.openSession()).status);
    const cookie = good.jar.header('/cliservice')!;
    const large = encodeCall('ExecuteStatement', { sessionHandle: good.session!, statement: `select '${'x'.repeat(64 * 1024)}'` });
    const trickler = await startTrickler(Number(new URL(harness.url).port), { cookie, message: large, firstBytes: 2048, everyMs: trickleEveryMs, marker: 'trickler', maxTrickled: trickleTimes });
    const simulated = harness.cluster.coordinators[0]!;
    await waitFor(() => simulated.requestLog.some((entry) => entry.headers['x-test-request'] === 'trickler'), { what: 'the trickler streaming to the coordinator' });

    // A legitimate statement larger than maxReplayBytes needs the one streaming connection.
    const executed = await withDeadline(good.executeStatement(`select 1 /* ${'y'.repeat(8 * 1024)} */`), 15_000, 'the large statement behind the trickler');
    assertSuccess(executed.status);
    await trickler.closed;
    expect(statusOf(trickler.reply)).toBe(408);
    const line = harness.log.access().find((l) => l.rpc === 'ExecuteStatement' && l.error === 'CLIENT_TIMEOUT');
    expect(line).toMatchObject({ status: 408 });
    expect(harness.proxy.coordinators.all[0]!.health).toBe('up');
  } finally {
    good.close();
  }
}, 40_000);
