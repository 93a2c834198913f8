// /ui through the real proxy (startProxy: HTTPS front end, TLS bridge) to simulated coordinators
// whose web UI requires authentication: Basic, then the `impala.auth` cookie it mints (no Path,
// research/impala-protocol.md §4), scoped to /ui/<n>/ by the proxy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestText } from '../helpers/fake-webui.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let harness: Harness;
const basic = `Basic ${Buffer.from('alice:secret').toString('base64')}`;

beforeAll(async () => {
  harness = await startHarness({
    coordinators: 2,
    cluster: { users: { alice: 'secret' }, webuiAuth: true },
    config: { health: { intervalMs: 200, timeoutMs: 150, rise: 1, fall: 1, basicAuth: { user: 'alice', password: 'secret' } } },
  });
});

afterAll(async () => {
  await harness?.close();
});

describe('/ui through the proxy to authenticated web UIs', () => {
  it('lists the coordinators as the health checker sees them', async () => {
    const res = await requestText(`${harness.url}/ui/`);
    expect(res.status).toBe(200);
    for (const c of harness.cluster.coordinators) expect(res.text).toContain(`>${c.name}</a></td><td class="up">up`);
  });

  it('passes the 401 challenge through, then Basic, then the impala.auth cookie scoped to the prefix', async () => {
    const challenge = await requestText(`${harness.url}/ui/2/`);
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toBe('Basic realm="impalad"');

    const login = await requestText(`${harness.url}/ui/2/queries`, { headers: { authorization: basic } });
    expect(login.status).toBe(200);
    const setCookie = login.headers['set-cookie'] ?? [];
    expect(setCookie).toHaveLength(1);
    expect(setCookie[0]).toMatch(/^impala\.auth=[^;]+;.*Path=\/ui\/2\/$/);
    expect(login.text).toContain(`href='/ui/2/'`);

    const cookie = setCookie[0]!.split(';')[0]!;
    const second = harness.cluster.coordinators[1]!;
    const successesBefore = second.counters.cookieAuthSuccesses;
    const withCookie = await requestText(`${harness.url}/ui/2//queries?json`, { headers: { cookie: `impala.session.id=pinned; ${cookie}` } });
    expect(withCookie.status).toBe(200);
    expect(JSON.parse(withCookie.text)).toHaveProperty('queries');
    expect(second.counters.cookieAuthSuccesses).toBe(successesBefore + 1);
    const seen = second.requestLog.findLast((e) => e.port === 'webui' && e.path.startsWith('/queries'))!;
    expect(seen.headers.cookie).toBe(cookie); // the affinity cookie was stripped
  });

  it('keeps serving the index when a coordinator is down, and answers 502 for its pages', async () => {
    const first = harness.cluster.coordinators[0]!;
    await first.stop();
    try {
      await waitFor(() => harness.proxy.coordinators.all[0]!.health === 'down', { what: 'coordinator 1 to be marked down' });
      const index = await requestText(`${harness.url}/ui`);
      expect(index.text).toMatch(/<td class="down">down/);
      const res = await requestText(`${harness.url}/ui/1/`, { headers: { authorization: basic } });
      expect(res.status).toBe(502);
    } finally {
      await first.start();
    }
  });
});
