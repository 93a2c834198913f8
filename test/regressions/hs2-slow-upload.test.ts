// Regression, issue 10 item 5: bodies larger than maxReplayBytes stream over a pooled upstream
// connection, and request bodies had no idle timeout, so 48 clients trickling a byte a second held
// every pooled connection: a good client did 4 queries in 20 s. With a body idle timeout each
// trickler is cut off (408 or close) soon after it goes quiet, and streaming uploads must not take
// the connections ordinary RPCs need.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCall } from '../../src/tools/thrift/hs2.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { startHarness, steadyHealth, type Harness } from '../helpers/proxy-harness.ts';
import { statusOf } from '../helpers/raw-tls.ts';
import { startTrickler } from '../helpers/trickler.ts';
import { waitFor, withDeadline } from '../helpers/wait-for.ts';

const idleTimeoutMs = 1000;
/** What a loaded 2-core machine may add to the idle timeout before the connection is closed. */
const closeMarginMs = 4000;
const tricklerCount = 24;
const trickleEveryMs = 2500; // slower than the idle timeout: a trickler is quiet for longer than it allows

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    coordinators: 2,
    config: {
      // 4 connections per coordinator: 24 tricklers are six times what one coordinator's pool holds.
      upstream: { mode: 'tls', tls: { caFile: certPath('ca.pem') }, maxReplayBytes: 1024, connectionsPerCoordinator: 4 },
      server: { requestBodyIdleTimeoutMs: idleTimeoutMs, shutdownTimeoutMs: 1000 },
      // Probes with room to spare on a loaded machine: a probe flap would answer the good client 503.
      health: steadyHealth,
    },
  });
});

afterAll(async () => {
  await harness?.close();
});


describe('slow uploads', () => {
  it('are cut off after the body idle timeout, while a good client on the same coordinator keeps being served', async () => {
    const port = Number(new URL(harness.url).port);
    const good = new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
    assertSuccess((await good.openSession()).status);
    const cookie = good.jar.header('/cliservice')!;
    const upload = encodeCall('ExecuteStatement', { sessionHandle: good.session!, statement: `select '${'x'.repeat(200 * 1024)}'` });

    const tricklers = await Promise.all(Array.from({ length: tricklerCount }, () => startTrickler(port, { cookie, message: upload, firstBytes: 2048, everyMs: trickleEveryMs, marker: 'trickler' })));
    try {
      // The attack is in place once uploads reach a coordinator.
      await waitFor(() => harness.cluster.coordinators.some((c) => c.requestLog.some((entry) => entry.headers['x-test-request'] === 'trickler')), {
        timeoutMs: 5000,
        what: 'a trickling upload to reach a coordinator',
      });

      // Ten ordinary RPCs of the good client, on its own coordinator, while the uploads trickle.
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
        8000,
        'the good client’s 10 RPCs',
      ).catch((error: Error) => error.message);
      const goodMs = performance.now() - startedAt;

      // Every trickler is closed by the proxy soon after it went quiet.
      await waitFor(() => tricklers.every((t) => t.closedAt !== undefined), { timeoutMs: idleTimeoutMs + closeMarginMs, what: 'every trickler to be closed' }).catch(() => undefined);
      const lateOrOpen = tricklers.filter((t) => t.closedAt === undefined || t.closedAt - t.lastByteAt > idleTimeoutMs + closeMarginMs).length;
      const answers = [...new Set(tricklers.map((t) => `${t.closedAt === undefined ? 'still open' : 'closed'} after ${statusOf(t.reply) ?? 'no response'}`))].sort();

      // One comparison, so a failure shows the whole picture.
      expect({ served, tricklersOpenOrClosedLate: lateOrOpen, answersOtherThan408OrClose: answers.filter((a) => a !== 'closed after 408' && a !== 'closed after no response') }).toEqual({
        served: 'served',
        tricklersOpenOrClosedLate: 0,
        answersOtherThan408OrClose: [],
      });
      expect(goodMs).toBeLessThan(8000);
    } finally {
      for (const trickler of tricklers) trickler.socket.destroy();
      good.close();
    }
  });
});
