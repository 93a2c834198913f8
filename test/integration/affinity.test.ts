// Affinity end to end: real proxy, three simulated coordinators over TLS, impyla-like clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { readCert } from '../helpers/certs.ts';
import type { SimulatedCoordinator } from '../../src/tools/simulator/index.ts';

const cookieName = 'impala.session.id';

function rpcCount(coordinator: SimulatedCoordinator): number {
  return Object.values(coordinator.counters.rpcs).reduce((sum, n) => sum + n, 0);
}

describe('affinity through the proxy', () => {
  let harness: Harness;
  const client = (options: Partial<ConstructorParameters<typeof Hs2Client>[0]> = {}) =>
    new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') }, ...options });

  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('keeps a 50-RPC session on one coordinator, each RPC on a new connection, with one Set-Cookie', async () => {
    const before = harness.cluster.coordinators.map(rpcCount);
    const c = client({ connection: 'per-rpc' });
    assertSuccess((await c.openSession()).status);
    let rpcs = 1;
    while (rpcs < 50) {
      const executed = await c.executeStatement('select 1');
      assertSuccess(executed.status);
      assertSuccess((await c.getOperationStatus(executed.operationHandle!)).status);
      assertSuccess((await c.fetchResults(executed.operationHandle!)).status);
      assertSuccess((await c.closeOperation(executed.operationHandle!)).status);
      assertSuccess((await c.ping()).status);
      rpcs += 5;
    }
    expect(rpcs).toBe(51);
    const served = harness.cluster.coordinators.map((coordinator, i) => rpcCount(coordinator) - before[i]!);
    expect(served.filter((n) => n > 0)).toEqual([rpcs]);

    const ours = c.exchanges.map((exchange) => exchange.setCookies.filter((cookie) => cookie.startsWith(`${cookieName}=`)));
    expect(ours[0]).toHaveLength(1);
    expect(ours[0]![0]).toMatch(/^impala\.session\.id=v1\.[A-Za-z0-9_-]{22}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(ours.slice(1).every((list) => list.length === 0)).toBe(true);
    for (const coordinator of harness.cluster.coordinators) expect(coordinator.sawCookie(cookieName)).toBe(false);
    const verdicts = harness.log.access().slice(-rpcs).map((line) => line.affinity);
    expect(verdicts[0]).toBe('new');
    expect(new Set(verdicts.slice(1))).toEqual(new Set(['kept']));
    c.close();
  });

  it('spreads 30 concurrent new clients over 3 coordinators within ±1 session (least-sessions)', async () => {
    const before = harness.cluster.coordinators.map((coordinator) => coordinator.openSessions);
    const clients = Array.from({ length: 30 }, () => client());
    await Promise.all(clients.map(async (c) => assertSuccess((await c.openSession()).status)));
    const opened = harness.cluster.coordinators.map((coordinator, i) => coordinator.openSessions - before[i]!);
    expect(opened.reduce((a, b) => a + b)).toBe(30);
    expect(Math.max(...opened) - Math.min(...opened)).toBeLessThanOrEqual(2);
    for (const n of opened) expect(Math.abs(n - 10)).toBeLessThanOrEqual(1);
    await Promise.all(clients.map((c) => c.closeSession()));
    for (const c of clients) c.close();
  });

  it('routes a client that keeps no affinity cookie to its session’s coordinator (impyla <= 0.17)', async () => {
    const c = client({ cookieNames: ['impala.auth'] });
    assertSuccess((await c.openSession()).status);
    const counts = () => harness.cluster.coordinators.map(rpcCount);
    const before = counts();
    for (let i = 0; i < 5; i++) {
      const result = await c.query('select 1');
      expect(result.rows).toHaveLength(1);
    }
    assertSuccess((await c.ping()).status);
    const served = counts().map((n, i) => n - before[i]!);
    expect(served.filter((n) => n > 0)).toHaveLength(1);
    expect(c.cookies.has(cookieName)).toBe(false);
    const recent = harness.log.access().slice(-(served.find((n) => n > 0) ?? 0));
    expect(new Set(recent.map((line) => line.affinity))).toEqual(new Set(['recovered']));
    assertSuccess((await c.closeSession()).status);
    c.close();
  });

  it('closes a session: the coordinator count learned from OpenSession goes back down', async () => {
    const total = () => harness.proxy.coordinators.all.reduce((sum, coordinator) => sum + coordinator.sessions, 0);
    const start = total();
    const c = client();
    assertSuccess((await c.openSession()).status);
    expect(total()).toBe(start + 1);
    assertSuccess((await c.closeSession()).status);
    expect(total()).toBe(start);
    c.close();
  });

  it('works with a keep-alive client (impala-shell 4.6) as with per-RPC connections', async () => {
    const c = client({ connection: 'keep-alive' });
    assertSuccess((await c.openSession()).status);
    const result = await c.query('select range(100)');
    expect(result.rows).toHaveLength(100);
    assertSuccess((await c.closeSession()).status);
    c.close();
  });
});
