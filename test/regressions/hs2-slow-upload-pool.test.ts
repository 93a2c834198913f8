// Variant of hs2-slow-upload.test.ts (issue 10 item 5): uploads that never go quiet, so the body
// idle timeout never cuts them off, cannot take the connections a coordinator's ordinary RPCs use.
// A body up to maxReplayBytes is read whole before it is dispatched, so trickling it holds no
// upstream connection at all; a larger one is streamed over the coordinator's own streaming pool
// (upstream.streamingConnectionsPerCoordinator), never over the connectionsPerCoordinator pool.
// More tricklers than both pools hold, all on the good client's coordinator, and the good client's
// RPCs there are still served at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCall } from '../../src/tools/thrift/hs2.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { startHarness, steadyHealth, type Harness } from '../helpers/proxy-harness.ts';
import { startTrickler } from '../helpers/trickler.ts';
import { waitFor, withDeadline } from '../helpers/wait-for.ts';

const maxReplayBytes = 1024;
const connectionsPerCoordinator = 2;
const streamingConnectionsPerCoordinator = 2;
/** Streamed tricklers: more than both pools of the coordinator together. */
const streamingTricklers = connectionsPerCoordinator + streamingConnectionsPerCoordinator + 2;
/** Tricklers whose whole body fits maxReplayBytes (read before dispatch): also more than the pool. */
const keptTricklers = connectionsPerCoordinator + 2;
const trickleEveryMs = 200;
/** Fifty trickle intervals: a loaded 2-core machine delays a timer by seconds, not by this much. */
const idleTimeoutMs = 10_000;
/** Ten RPCs take tens of milliseconds here; the bound is for a loaded machine, not a measurement. */
const goodClientBoundMs = 8_000;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    coordinators: 2,
    config: {
      upstream: { mode: 'tls', tls: { caFile: certPath('ca.pem') }, maxReplayBytes, connectionsPerCoordinator, streamingConnectionsPerCoordinator },
      // No minimum rate: these tricklers are never cut (hs2-slow-upload-rate.test.ts cuts them).
      server: { requestBodyIdleTimeoutMs: idleTimeoutMs, requestBodyMinBytesPerSec: 0, shutdownTimeoutMs: 1000 },
      // Probes with room to spare on a loaded machine: a probe flap would answer the good client 503.
      health: steadyHealth,
    },
  });
});

afterAll(async () => {
  await harness?.close();
});

describe('slow uploads that keep trickling', () => {
  it('hold none of the connections the coordinator’s RPCs use: a good client there is served at once', async () => {
    const port = Number(new URL(harness.url).port);
    const good = new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
    assertSuccess((await good.openSession()).status);
    const simulated = harness.cluster.coordinators.find((c) => c.requestLog.some((entry) => entry.rpc === 'OpenSession'))!;
    const coordinator = harness.proxy.coordinators.byName(simulated.name)!;
    const cookie = good.jar.header('/cliservice')!;
    const large = encodeCall('ExecuteStatement', { sessionHandle: good.session!, statement: `select '${'x'.repeat(200 * 1024)}'` });
    const small = encodeCall('ExecuteStatement', { sessionHandle: good.session!, statement: `select '${'x'.repeat(700)}'` });
    expect(small.length).toBeLessThanOrEqual(maxReplayBytes);

    const tricklers = await Promise.all([
      ...Array.from({ length: streamingTricklers }, () => startTrickler(port, { cookie, message: large, firstBytes: 2048, everyMs: trickleEveryMs, marker: 'streaming-trickler' })),
      ...Array.from({ length: keptTricklers }, () => startTrickler(port, { cookie, message: small, firstBytes: 200, everyMs: trickleEveryMs, marker: 'kept-trickler' })),
    ]);
    try {
      // Every streamed trickler is dispatched to the coordinator (in flight there: sending, or
      // queued for a streaming connection), and as many reached it as the streaming pool holds.
      const streamedAtCoordinator = () => simulated.requestLog.filter((entry) => entry.headers['x-test-request'] === 'streaming-trickler').length;
      await waitFor(() => coordinator.inFlight.size === streamingTricklers && streamedAtCoordinator() === streamingConnectionsPerCoordinator, {
        timeoutMs: 10_000,
        what: `${streamingTricklers} streamed tricklers in flight, ${streamingConnectionsPerCoordinator} of them at the coordinator`,
      });
      // Not one of them in the RPC pool: no request running, queued or pending there.
      const rpcPoolBefore = coordinator.pool.stats.size;

      const startedAt = performance.now();
      const served = await withDeadline(
        (async () => {
          for (let i = 0; i < 5; i++) {
            const executed = await good.executeStatement('select 1');
            assertSuccess(executed.status);
            assertSuccess((await good.getOperationStatus(executed.operationHandle!)).status);
          }
          return 'served';
        })(),
        goodClientBoundMs,
        'the good client’s 10 RPCs',
      ).catch((error: Error) => error.message);
      const goodMs = performance.now() - startedAt;

      // The tricklers were there all along: none was cut off or answered, the streaming pool is
      // still exactly full, and the kept ones never reached a coordinator.
      const summary = {
        served,
        rpcPoolBefore,
        tricklersClosedOrAnswered: tricklers.filter((t) => t.closedAt !== undefined || t.reply !== '').length,
        streamedAtCoordinator: streamedAtCoordinator(),
        keptAtCoordinator: harness.cluster.coordinators.flatMap((c) => c.requestLog).filter((entry) => entry.headers['x-test-request'] === 'kept-trickler').length,
        inFlight: coordinator.inFlight.size,
      };
      expect(summary).toEqual({
        served: 'served',
        rpcPoolBefore: 0,
        tricklersClosedOrAnswered: 0,
        streamedAtCoordinator: streamingConnectionsPerCoordinator,
        keptAtCoordinator: 0,
        inFlight: streamingTricklers,
      });
      expect(goodMs).toBeLessThan(goodClientBoundMs);
    } finally {
      for (const trickler of tricklers) trickler.socket.destroy();
      good.close();
    }
  });
});
