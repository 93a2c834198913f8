// Variant of hs2-slow-upload.test.ts (issue 10 item 5): uploads that never go quiet, so the body
// idle timeout never cuts them off, cannot take the connections a coordinator's ordinary RPCs use.
// A body up to maxReplayBytes is read whole before it is dispatched, so trickling it holds no
// upstream connection at all; a larger one is streamed over the coordinator's own streaming pool
// (upstream.streamingConnectionsPerCoordinator), never over the connectionsPerCoordinator pool.
// More tricklers than both pools hold, all on the good client's coordinator, and the good client's
// RPCs there are still served at once.
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCall } from '../../src/tools/thrift/hs2.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { openTls } from '../helpers/raw-tls.ts';
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
      health: { intervalMs: 1000, timeoutMs: 900, rise: 2, fall: 3 },
    },
  });
});

afterAll(async () => {
  await harness?.close();
});

interface Trickler {
  readonly socket: TLSSocket;
  closed: boolean;
  reply: string;
}

/**
 * A client that announces `message` (on the good client's session and cookie, so it is routed to
 * the same coordinator), sends its first `firstBytes` at once, then one byte every trickleEveryMs:
 * never quiet for long enough to be cut off, never done.
 */
async function startTrickler(port: number, cookie: string, message: Buffer, firstBytes: number, kind: string): Promise<Trickler> {
  const socket = await openTls(port);
  const trickler: Trickler = { socket, closed: false, reply: '' };
  const head = [
    'POST /cliservice HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Content-Type: application/x-thrift',
    `Content-Length: ${message.length}`,
    `Cookie: ${cookie}`,
    `X-Test-Request: ${kind}`,
  ].join('\r\n');
  let sent = firstBytes;
  socket.on('data', (chunk: Buffer) => (trickler.reply += chunk.toString('latin1')));
  socket.on('error', () => {});
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= message.length - 1) return; // the last byte is never sent
    socket.write(message.subarray(sent, sent + 1));
    sent += 1;
  }, trickleEveryMs);
  socket.once('close', () => {
    clearInterval(timer);
    trickler.closed = true;
  });
  socket.write(Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), message.subarray(0, sent)]));
  return trickler;
}

describe('slow uploads that keep trickling', () => {
  it('hold none of the connections the coordinator’s RPCs use: a good client there is served at once', async () => {
    const port = Number(new URL(harness.url).port);
    const good = new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
    assertSuccess((await good.openSession()).status);
    const simulated = harness.cluster.coordinators.find((c) => c.requestLog.some((entry) => entry.rpc === 'OpenSession'))!;
    const coordinator = harness.proxy.coordinators.byName(simulated.name)!;
    const cookie = [...good.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const large = encodeCall('ExecuteStatement', { sessionHandle: good.session!, statement: `select '${'x'.repeat(200 * 1024)}'` });
    const small = encodeCall('ExecuteStatement', { sessionHandle: good.session!, statement: `select '${'x'.repeat(700)}'` });
    expect(small.length).toBeLessThanOrEqual(maxReplayBytes);

    const tricklers = await Promise.all([
      ...Array.from({ length: streamingTricklers }, () => startTrickler(port, cookie, large, 2048, 'streaming-trickler')),
      ...Array.from({ length: keptTricklers }, () => startTrickler(port, cookie, small, 200, 'kept-trickler')),
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
        tricklersClosedOrAnswered: tricklers.filter((t) => t.closed || t.reply !== '').length,
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
