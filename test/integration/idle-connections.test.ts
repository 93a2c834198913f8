// Idle client connections: a kept-alive connection (impala-shell 4.6+ keeps one per shell) stays
// open across pauses far longer than the request-head timeout and serves the next request, and
// server.keepAliveTimeoutMs is what finally closes it. The head timeout's own behaviour is in
// test/regressions/request-head-timeout.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { healthProbe, RawConnection } from '../helpers/raw-connection.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';

describe('idle client connections', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('default to hours of keep-alive, so interactive sessions keep their connection', () => {
    const config = validateConfig({ coordinators: [{ name: 'a', host: 'h' }], listen: { https: null, http: { port: 0 } } });
    expect(config.server.keepAliveTimeoutMs).toBeGreaterThanOrEqual(3600_000);
  });

  it('stay open far beyond the request-head timeout and serve the next request', async () => {
    const headTimeoutMs = 200;
    harness = await startHarness({ coordinators: 1, config: { server: { requestHeaderTimeoutMs: headTimeoutMs } } });
    const connection = new RawConnection(harness.url);
    await connection.exchange(healthProbe, 1);
    // The stimulus is time passing with nothing sent: ten head timeouts, several head-timer checks.
    await new Promise((resolve) => setTimeout(resolve, 10 * headTimeoutMs));
    expect(connection.closedAtMs).toBeUndefined();
    await connection.exchange(healthProbe, 2);
    expect(connection.received.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
    expect(connection.closedAtMs).toBeUndefined();
    connection.close();
  });

  it('close once idle for server.keepAliveTimeoutMs', async () => {
    harness = await startHarness({ coordinators: 1, config: { server: { keepAliveTimeoutMs: 200 } } });
    const connection = new RawConnection(harness.url);
    await connection.exchange(healthProbe, 1);
    const answeredMs = Date.now();
    await connection.closed;
    expect(connection.closedAtMs! - answeredMs).toBeGreaterThanOrEqual(150);
    expect(connection.responses()).toBe(1);
  });
});
