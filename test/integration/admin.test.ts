// The admin API: drain/enable/disable over HTTP with an audit line, the bearer token, and the
// probes on both the admin and the client listener.
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { readCert } from '../helpers/certs.ts';
import { harnessConfig, startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

const token = 'admin-test-token-0123456789';

describe('admin API', () => {
  let harness: Harness;
  let adminUrl: string;
  const auth = { authorization: `Bearer ${token}` };
  const client = () => new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
  const lastCoordinator = () => harness.log.access().at(-1)!.coordinator as string;
  const act = (key: string, action: string, headers: Record<string, string> = auth) =>
    fetch(`${adminUrl}/admin/coordinators/${key}/${action}`, { method: 'POST', headers });

  beforeAll(async () => {
    harness = await startHarness({ config: { admin: { host: '127.0.0.1', port: 0, token } } });
    adminUrl = harness.proxy.adminUrl();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('enforces the bearer token everywhere but the probes', async () => {
    for (const path of ['/metrics', '/status', '/status?format=json']) {
      expect((await fetch(`${adminUrl}${path}`)).status).toBe(401);
      expect((await fetch(`${adminUrl}${path}`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${adminUrl}${path}`, { headers: auth })).status).toBe(200);
    }
    const denied = await act('1', 'drain', {});
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(harness.proxy.coordinators.all[0]!.operatorState).toBe('enabled');
    expect((await fetch(`${adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${adminUrl}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${adminUrl}/readyz`)).text()).toBe('ready: 3 of 3 coordinators available\n');
    expect(harness.log.text()).not.toContain(token);
  });

  it('drain keeps existing sessions and sends new ones elsewhere; enable brings it back', async () => {
    const pinned = client();
    assertSuccess((await pinned.openSession()).status);
    const home = lastCoordinator();

    const drained = await act(home, 'drain');
    expect(drained.status).toBe(200);
    expect(await drained.json()).toEqual({ coordinator: home, before: 'enabled', after: 'draining' });
    const audit = harness.log.find((line) => line.event === 'admin' && line.coordinator === home);
    expect(audit).toMatchObject({ action: 'drain', before: 'enabled', after: 'draining', who: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });

    for (let i = 0; i < 3; i++) {
      assertSuccess((await pinned.ping()).status);
      expect(lastCoordinator()).toBe(home);
    }
    const fresh = Array.from({ length: 6 }, () => client());
    for (const c of fresh) {
      assertSuccess((await c.openSession()).status);
      expect(lastCoordinator()).not.toBe(home);
    }

    expect((await act(home, 'enable')).status).toBe(200);
    // least-sessions: the coordinator with no new sessions gets the next ones.
    const back = client();
    assertSuccess((await back.openSession()).status);
    expect(lastCoordinator()).toBe(home);
    for (const c of [pinned, back, ...fresh]) c.close();
  });

  it('disable re-pins its clients at their next RPC; numbers and names both work', async () => {
    const pinned = client();
    assertSuccess((await pinned.openSession()).status);
    const home = lastCoordinator();
    const index = harness.proxy.coordinators.byName(home)!.index;
    expect((await act(String(index), 'disable')).status).toBe(200);

    const reply = await pinned.ping();
    expect(reply.status.errorMessage).toMatch(/^Invalid session id/);
    const line = harness.log.access().at(-1)!;
    expect(line).toMatchObject({ affinity: 'repinned', reason: 'disabled' });
    expect(line.coordinator).not.toBe(home);
    expect(pinned.lastExchange!.setCookies.some((cookie) => cookie.startsWith('impala.session.id='))).toBe(true);

    expect((await act(home, 'enable')).status).toBe(200);
    pinned.close();
  });

  it('answers unknown coordinators, actions and methods plainly', async () => {
    expect((await act('nope', 'drain')).status).toBe(404);
    expect((await act('9', 'drain')).status).toBe(404);
    expect((await act('1', 'explode')).status).toBe(404);
    expect((await fetch(`${adminUrl}/admin/coordinators/1/drain`, { headers: auth })).status).toBe(405);
  });

  it('POST /admin/reload: the token, POST only, and 501 for a proxy with no config file to re-read', async () => {
    const reload = (headers: Record<string, string> = auth, method = 'POST') => fetch(`${adminUrl}/admin/reload`, { method, headers });
    expect((await reload({})).status).toBe(401);
    const get = await reload(auth, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const unavailable = await reload();
    expect(unavailable.status).toBe(501);
    expect(await unavailable.text()).toBe('reload is not available: this proxy was not started from a config file\n');
    expect(harness.proxy.status().generation).toBe(1);
  });

  it('keeps an operator override across a reload, unless the config changes that state', async () => {
    const name = harness.proxy.coordinators.all[1]!.name;
    expect((await act(name, 'drain')).status).toBe(200);
    const base = harnessConfig(harness.cluster, { admin: { host: '127.0.0.1', port: 0, token } });
    await harness.proxy.reload(validateConfig(base));
    expect(harness.proxy.coordinators.byName(name)!.operatorState).toBe('draining');
    const status = (await (await fetch(`${adminUrl}/status?format=json`, { headers: auth })).json()) as { coordinators: { name: string; operatorState: string }[] };
    expect(status.coordinators.find((c) => c.name === name)!.operatorState).toBe('draining');

    const disabledInConfig = { ...base, coordinators: base.coordinators!.map((c) => (c.name === name ? { ...c, state: 'disabled' as const } : c)) };
    await harness.proxy.reload(validateConfig(disabledInConfig));
    expect(harness.proxy.coordinators.byName(name)!.operatorState).toBe('disabled');
    await harness.proxy.reload(validateConfig(base));
    expect(harness.proxy.coordinators.byName(name)!.operatorState).toBe('enabled');
  });

  it('answers GET /healthz and /readyz on the client listener too; POST still goes to hs2', async () => {
    const get = (path: string, method = 'GET') =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpsRequest(`${harness.url}${path}`, { method, ca: readCert('ca.pem'), agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect(await get('/readyz')).toEqual({ status: 200, body: 'ready: 3 of 3 coordinators available\n' });
    expect(await get('/readyz', 'HEAD')).toEqual({ status: 200, body: '' });
    expect((await get('/healthz', 'POST')).status).not.toBe(200); // not Thrift: whatever hs2 says, not the probe

    for (const sim of harness.cluster.coordinators) sim.setHealthy(false);
    await waitFor(async () => (await get('/readyz')).status === 503, { what: 'readyz 503 once every coordinator is down' });
    expect((await fetch(`${adminUrl}/readyz`)).status).toBe(503);
    expect((await get('/healthz')).status).toBe(200);
    for (const sim of harness.cluster.coordinators) sim.setHealthy(true);
    await waitFor(async () => (await get('/readyz')).status === 200, { what: 'ready again' });
  });
});
