// /metrics end to end: a scripted sequence of sessions, a re-pin, a forged cookie and a replay,
// then the exposition is parsed line by line and the numbers checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { readCert } from '../helpers/certs.ts';
import { parseExposition, pick } from '../helpers/exposition.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

describe('metrics', () => {
  let harness: Harness;
  let adminUrl: string;
  const client = () => new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
  const scrape = async () => {
    const response = await fetch(`${adminUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(await response.text());
  };
  const lastCoordinator = () => harness.log.access().at(-1)!.coordinator as string;

  beforeAll(async () => {
    harness = await startHarness({
      config: {
        admin: { host: '127.0.0.1', port: 0 },
        // Slow probes: the replay below must come from the hs2 path, not from a health check.
        health: { intervalMs: 60_000, timeoutMs: 1_000, rise: 1, fall: 1 },
      },
    });
    adminUrl = harness.proxy.adminUrl();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('counts sessions, pins, a re-pin, a forged cookie and a replay, and the exposition parses', async () => {
    const baseline = await scrape();
    expect(pick(baseline, 'impala_ha_proxy_requests_total')).toBe(0);
    expect(pick(baseline, 'impala_ha_proxy_coordinator_up')).toBe(3);
    expect(pick(baseline, 'impala_ha_proxy_process_resident_memory_bytes')).toBeGreaterThan(0);

    // One whole session: 3 RPCs, opened and closed.
    const a = client();
    assertSuccess((await a.openSession()).status);
    const aHome = lastCoordinator();
    let samples = await scrape();
    expect(pick(samples, 'impala_ha_proxy_coordinator_sessions', { coordinator: aHome })).toBe(1);
    assertSuccess((await a.ping()).status);
    assertSuccess((await a.closeSession()).status);

    // A session that stays open.
    const b = client();
    assertSuccess((await b.openSession()).status);
    const bHome = lastCoordinator();

    // A forged cookie: verdict invalid, a fresh pin.
    const forged = client();
    forged.jar.store(['impala.session.id=v1.AAAAAAAAAAAAAAAAAAAAAA; Path=/']);
    assertSuccess((await forged.openSession()).status);

    samples = await scrape();
    expect(pick(samples, 'impala_ha_proxy_requests_total', { coordinator: aHome, method: 'OpenSession', status_class: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(pick(samples, 'impala_ha_proxy_requests_total', { coordinator: aHome, method: 'PingImpalaHS2Service', status_class: '2xx' })).toBe(1);
    expect(pick(samples, 'impala_ha_proxy_requests_total', { method: 'CloseSession' })).toBe(1);
    expect(pick(samples, 'impala_ha_proxy_requests_total')).toBe(5);
    expect(pick(samples, 'impala_ha_proxy_coordinator_sessions')).toBe(2); // b and forged
    expect(pick(samples, 'impala_ha_proxy_learned_sessions')).toBe(2);
    expect(pick(samples, 'impala_ha_proxy_affinity_decisions_total', { verdict: 'new' })).toBe(2);
    expect(pick(samples, 'impala_ha_proxy_affinity_decisions_total', { verdict: 'kept' })).toBe(2);
    expect(pick(samples, 'impala_ha_proxy_affinity_decisions_total', { verdict: 'invalid' })).toBe(1);
    expect(pick(samples, 'impala_ha_proxy_pins_issued_total')).toBe(3);
    expect(pick(samples, 'impala_ha_proxy_request_duration_seconds_count')).toBe(5);
    expect(pick(samples, 'impala_ha_proxy_proxy_added_duration_seconds_count')).toBe(5);
    expect(pick(samples, 'impala_ha_proxy_request_duration_seconds_bucket', { le: '+Inf' })).toBe(5);
    expect(pick(samples, 'impala_ha_proxy_request_bytes_total')).toBeGreaterThan(0);
    expect(pick(samples, 'impala_ha_proxy_response_bytes_total')).toBeGreaterThan(0);
    // Every client RPC opens a new TLS connection (impyla style).
    expect(pick(samples, 'impala_ha_proxy_tls_handshakes_total', { listener: 'https' })).toBeGreaterThanOrEqual(5);
    expect(pick(samples, 'impala_ha_proxy_client_connections_total', { listener: 'https' })).toBeGreaterThanOrEqual(5);
    expect(pick(samples, 'impala_ha_proxy_upstream_connections', { coordinator: aHome, state: 'idle' })).toBeGreaterThanOrEqual(1);
    expect(pick(samples, 'impala_ha_proxy_coordinator_operator_state', { coordinator: bHome, state: 'enabled' })).toBe(1);

    // A re-pin: the operator disables b's coordinator; b's next RPC moves.
    const disabled = await fetch(`${adminUrl}/admin/coordinators/${bHome}/disable`, { method: 'POST' });
    expect(disabled.status).toBe(200);
    await b.ping(); // "Invalid session id" from the peer: a genuine Thrift reply
    expect(lastCoordinator()).not.toBe(bHome);
    samples = await scrape();
    expect(pick(samples, 'impala_ha_proxy_repins_total', { reason: 'disabled' })).toBe(1);
    expect(pick(samples, 'impala_ha_proxy_coordinator_operator_state', { coordinator: bHome, state: 'disabled' })).toBe(1);
    expect(pick(samples, 'impala_ha_proxy_admin_actions_total', { action: 'disable' })).toBe(1);
    await fetch(`${adminUrl}/admin/coordinators/${bHome}/enable`, { method: 'POST' });

    // A replay: c's coordinator dies under it; health checks are too slow to notice first.
    const c = client();
    assertSuccess((await c.openSession()).status);
    const cHome = lastCoordinator();
    const simulated = harness.cluster.coordinators.find((sim) => sim.name === cHome)!;
    await simulated.stop();
    await c.ping();
    expect(lastCoordinator()).not.toBe(cHome);
    samples = await scrape();
    expect(pick(samples, 'impala_ha_proxy_replays_total')).toBe(1);
    expect(pick(samples, 'impala_ha_proxy_repins_total', { reason: 'failover' })).toBe(1);
    expect(pick(samples, 'impala_ha_proxy_coordinator_up', { coordinator: cHome })).toBe(0);
    expect(pick(samples, 'impala_ha_proxy_health_changes_total', { coordinator: cHome, health: 'down' })).toBe(1);

    // Nothing available: 503s are counted apart from coordinators.
    await Promise.all(harness.cluster.coordinators.map((sim) => sim.stop()));
    const d = client();
    // The first attempt finds them refusing one by one (502); then none is left (503).
    await d.openSession().catch(() => undefined);
    await expect(d.openSession()).rejects.toMatchObject({ status: 503 });
    await waitFor(async () => pick(await scrape(), 'impala_ha_proxy_unavailable_responses_total') >= 1, { what: 'a counted 503' });
    for (const sim of harness.cluster.coordinators) await sim.start();
    for (const x of [a, b, c, d, forged]) x.close();
  });

  it('keeps two proxies in one process apart (per-instance registry)', async () => {
    const other = await startHarness({ coordinators: 1, config: { admin: { host: '127.0.0.1', port: 0 } } });
    try {
      const response = await fetch(`${other.proxy.adminUrl()}/metrics`);
      const samples = parseExposition(await response.text());
      expect(pick(samples, 'impala_ha_proxy_coordinator_up')).toBe(1);
      expect(pick(samples, 'impala_ha_proxy_requests_total')).toBe(0);
    } finally {
      await other.close();
    }
  });
});
