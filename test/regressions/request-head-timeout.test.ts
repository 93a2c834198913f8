// Regression: a stalled request head was cut up to 30 s after server.requestHeaderTimeoutMs.
// Node checks headersTimeout only every `connectionsCheckingInterval` (30 s by default), so with
// the default 10 s a slowloris client held its socket for 30 s, not 10 (measured: a 300 ms head
// timeout answered 408 after 30,015 ms). src/server.ts checks every second. Both a fresh connection
// and a kept-alive one (the head of its second request) are cut.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthProbe, RawConnection } from '../helpers/raw-connection.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';

const headTimeoutMs = 300;
/** Timeout + one check interval, with room for a loaded 2-core machine; without the fix: 30 s. */
const cutWithinMs = 8_000;
const stalledHead = 'POST /cliservice HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/x-thrift\r\n'; // no blank line

describe('a stalled request head', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ coordinators: 1, config: { server: { requestHeaderTimeoutMs: headTimeoutMs } } });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('on a new connection gets 408 and a closed socket soon after requestHeaderTimeoutMs', async () => {
    const connection = new RawConnection(harness.url);
    await new Promise((resolve) => connection.socket.once('secureConnect', resolve));
    const startedMs = Date.now();
    connection.socket.write(stalledHead);
    await connection.closed;
    expect(connection.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(connection.closedAtMs! - startedMs).toBeGreaterThanOrEqual(headTimeoutMs - 50);
    expect(connection.closedAtMs! - startedMs).toBeLessThan(cutWithinMs);
  });

  it('on a kept-alive connection is cut the same way', async () => {
    const connection = new RawConnection(harness.url);
    await connection.exchange(healthProbe, 1);
    const startedMs = Date.now();
    connection.socket.write(stalledHead);
    await connection.closed;
    expect(connection.responses()).toBe(2);
    expect(connection.received).toContain('HTTP/1.1 408 Request Timeout\r\n');
    expect(connection.closedAtMs! - startedMs).toBeLessThan(cutWithinMs);
  });
});
