// /ui over TLS on both sides: a WebUiProxy behind an HTTPS listener, two TLS web UIs verified
// with the suite CA. Covers the index, the rewriting contract and upstream failures.
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCert } from '../helpers/certs.ts';
import { requestText, startFakeWebUi, startWebUiHarness, type FakeWebUi, type WebUiHarness } from '../helpers/fake-webui.ts';

const tls = { cert: readCert('coordinator.pem'), key: readCert('coordinator-key.pem') };
let a: FakeWebUi;
let b: FakeWebUi;
let harness: WebUiHarness;

beforeAll(async () => {
  a = await startFakeWebUi({ name: 'coord-a', tls });
  b = await startFakeWebUi({ name: 'coord-b', tls });
  harness = await startWebUiHarness({
    backends: [{ name: 'coord-a', port: a.port }, { name: 'coord-b', port: b.port }],
    webuiTls: true,
  });
});

afterAll(async () => {
  await harness?.close();
  await a?.close();
  await b?.close();
});

const lastRequest = (ui: FakeWebUi) => ui.requests.at(-1)!;

describe('/ui index and navigation', () => {
  it('lists every coordinator with number, name, health, state and links', async () => {
    harness.coordinators.all[1]!.state.operatorOverride = { state: 'draining', configState: 'enabled', atMs: Date.now() };
    const res = await requestText(`${harness.url}/ui`);
    harness.coordinators.all[1]!.state.operatorOverride = undefined;
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toMatch(/<td>1<\/td><td><a href="\/ui\/1\/">coord-a<\/a><\/td><td class="up">up/);
    expect(res.text).toMatch(/<td>2<\/td><td><a href="\/ui\/2\/">coord-b<\/a><\/td><td class="up">up .*<td class="draining">draining<\/td>/);
    expect((await requestText(`${harness.url}/ui/`)).status).toBe(200);
  });

  it('redirects /ui/<n> to /ui/<n>/', async () => {
    const res = await requestText(`${harness.url}/ui/2?x=1`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/ui/2/?x=1');
  });

  it('answers 404 with the valid coordinators for an unknown one', async () => {
    for (const path of ['/ui/3/', '/ui/nope/queries', '/ui/0', '/ui/<script>/']) {
      const res = await requestText(`${harness.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.text).toContain('href="/ui/1/"');
      expect(res.text).toContain('href="/ui/2/"');
      expect(res.text).not.toContain('<script>');
    }
  });

  it('refuses other methods on its own pages', async () => {
    expect((await requestText(`${harness.url}/ui/`, { method: 'POST', body: 'x' })).status).toBe(405);
  });
});

describe('/ui/<n>/ proxying', () => {
  it('serves coordinator n by number and by name, with its links under the prefix', async () => {
    const byNumber = await requestText(`${harness.url}/ui/2/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(byNumber.status).toBe(200);
    expect(byNumber.headers['content-encoding']).toBeUndefined();
    expect(Number(byNumber.headers['content-length'])).toBe(byNumber.body.length);
    expect(byNumber.text).toContain(`<h2 id='whoami'>coord-b</h2>`);
    expect(byNumber.text).toContain(`<a id='root-link' class='navbar-brand' href='/ui/2/'>`);
    expect(byNumber.text).toContain(`<a href='/ui/2/queries'>`);
    expect(byNumber.text).toContain(`<script src='/ui/2/www/jquery/jquery-3.5.1.min.js'>`);
    expect(byNumber.text).toContain(`<link href='/ui/2/www/bootstrap/css/bootstrap.min.css'`);
    // the page was asked for uncompressed, since it is rewritten
    expect(lastRequest(b).headers['accept-encoding']).toBe('identity');

    const byName = await requestText(`${harness.url}/ui/coord-a/queries`);
    expect(byName.text).toContain(`href='/ui/coord-a/'`);
    expect(byName.text).toContain(`<form action='/ui/coord-a/cancel_query' method='post'>`);
    expect(lastRequest(a).url).toBe('/queries');
  });

  it("passes make_url()'s double-slash XHR through to the coordinator, compressed as asked", async () => {
    const res = await requestText(`${harness.url}/ui/2//queries?json`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(lastRequest(b).url).toBe('/queries?json');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(res.body).toString())).toMatchObject({ coordinator: 'coord-b' });
  });

  it('streams static assets untouched', async () => {
    const res = await requestText(`${harness.url}/ui/1/www/app.js`);
    expect(res.text).toBe(`fetch("/queries?json"); const link = '<a href="/sessions">';\n`);
  });

  it('rewrites root-absolute url() in stylesheets, gzipped or not', async () => {
    for (const encoding of ['gzip', 'identity']) {
      const res = await requestText(`${harness.url}/ui/1/www/style.css`, { headers: { 'accept-encoding': encoding } });
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.text).toBe(`.navbar { background: url('/ui/1/www/bg.png') } .logo { background: url(../img/logo.png) }\n`);
    }
  });

  it('decompresses and rewrites HTML the coordinator gzips anyway', async () => {
    const res = await requestText(`${harness.url}/ui/1/gzip-page`);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(res.text).toContain(`href='/ui/1/queries'`);
  });

  it('answers HEAD on a page without a stale Content-Length', async () => {
    const res = await requestText(`${harness.url}/ui/1/queries`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBeUndefined();
  });

  it('streams HTML over the 8 MiB cap unmodified', async () => {
    const res = await requestText(`${harness.url}/ui/1/big-html?bytes=${9 * 1024 * 1024}`);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(9 * 1024 * 1024);
    expect(Number(res.headers['content-length'])).toBe(9 * 1024 * 1024);
    expect(res.text.startsWith(`<html><body><a href='/queries'>`)).toBe(true);
  });

  it.each([201, 301, 302, 303, 307, 308])('rewrites Location on %i', async (status) => {
    const absolute = encodeURIComponent(`https://127.0.0.1:${b.port}/queries?x=1`);
    const res1 = await requestText(`${harness.url}/ui/2/redirect?status=${status}&to=${absolute}`);
    expect(res1.status).toBe(status);
    expect(res1.headers.location).toBe('/ui/2/queries?x=1');
    const res2 = await requestText(`${harness.url}/ui/2/redirect?status=${status}&to=%2Fsessions`);
    expect(res2.headers.location).toBe('/ui/2/sessions');
    const res3 = await requestText(`${harness.url}/ui/2/redirect?status=${status}&to=${encodeURIComponent('https://sso.example.com/x')}`);
    expect(res3.headers.location).toBe('https://sso.example.com/x');
    // an absolute URL to the other coordinator lands on its prefix
    const res4 = await requestText(`${harness.url}/ui/2/redirect?status=${status}&to=${encodeURIComponent(`https://127.0.0.1:${a.port}/`)}`);
    expect(res4.headers.location).toBe('/ui/1/');
  });

  it('moves Set-Cookie paths under the prefix', async () => {
    const res = await requestText(`${harness.url}/ui/2/cookies`);
    expect(res.headers['set-cookie']).toEqual([
      'impala.auth=sig+/=&alice&1&r; HttpOnly; Max-Age=3600; Path=/ui/2/',
      'a=1; Path=/ui/2/',
      'b=2; Secure; Path=/ui/2/queries',
    ]);
  });

  it('forwards the UI auth, strips the affinity cookie, Connection-listed and forwarding headers', async () => {
    const res = await requestText(`${harness.url}/ui/1/echo`, {
      headers: {
        authorization: 'Basic YWxpY2U6cHc=',
        cookie: 'impala.session.id=pin-token; impala.auth=sig&alice; other=1',
        connection: 'x-secret',
        'x-secret': 'do not forward',
        'x-forwarded-context': '/gateway',
        'x-forwarded-for': '203.0.113.9',
        expect: '100-continue',
      },
    });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.text) as { headers: Record<string, string> };
    expect(seen.headers.authorization).toBe('Basic YWxpY2U6cHc=');
    expect(seen.headers.cookie).toBe('impala.auth=sig&alice; other=1');
    expect(seen.headers['x-secret']).toBeUndefined();
    expect(seen.headers['x-forwarded-context']).toBeUndefined();
    expect(seen.headers.expect).toBeUndefined();
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1'); // upstream.xForwardedFor: overwrite
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers.host).toBe(`127.0.0.1:${a.port}`);
  });

  it('drops hop-by-hop and Connection-listed response headers', async () => {
    const res = await requestText(`${harness.url}/ui/1/connection-listed`);
    expect(res.headers['x-public']).toBe('ok');
    expect(res.headers['x-private']).toBeUndefined();
    expect(res.headers['keep-alive']).not.toBe('timeout=77');
  });

  it('streams a chunked POST body', async () => {
    const res = await requestText(`${harness.url}/ui/1/echo`, { method: 'POST', headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf_token=t&query_id=1' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ method: 'POST', body: 'csrf_token=t&query_id=1' });
  });

  it('reuses upstream connections (keep-alive agent)', async () => {
    const before = a.connections;
    for (let i = 0; i < 5; i++) await requestText(`${harness.url}/ui/1/www/app.js`);
    expect(a.connections - before).toBeLessThanOrEqual(1);
  });
});

describe('/ui/<n>/ upstream failures', () => {
  it('answers 502 when the web UI resets the connection', async () => {
    const res = await requestText(`${harness.url}/ui/1/reset`);
    expect(res.status).toBe(502);
  });

  it('answers 502 when the web UI refuses connections', async () => {
    const closed: Server = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const local = await startWebUiHarness({ backends: [{ name: 'gone', port }], webuiTls: true });
    try {
      const res = await requestText(`${local.url}/ui/1/`);
      expect(res.status).toBe(502);
      expect(res.text).toContain('gone');
    } finally {
      await local.close();
    }
  });

  it('answers 504 when the web UI does not answer within webui.timeoutMs', async () => {
    const local = await startWebUiHarness({ backends: [{ name: 'coord-a', port: a.port }], webuiTls: true, config: { webui: { timeoutMs: 200 } } });
    try {
      const res = await requestText(`${local.url}/ui/1/slow?ms=5000`);
      expect(res.status).toBe(504);
    } finally {
      await local.close();
    }
  });

  it('answers 502 when the web UI certificate is not trusted', async () => {
    const local = await startWebUiHarness({
      backends: [{ name: 'coord-a', port: a.port }],
      webuiTls: true,
      config: { upstream: { mode: 'plain', webuiMode: 'tls', tls: {} } },
    });
    try {
      const res = await requestText(`${local.url}/ui/1/`);
      expect(res.status).toBe(502);
      expect(res.text).toMatch(/TLS/);
    } finally {
      await local.close();
    }
  });
});

describe('/ui/<n>/ malformed upstream responses', () => {
  it('answers 502 for a header value Node will not parse, and keeps serving (P12, node-http-proxy#964)', async () => {
    const raw: Server = createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nX-Bad: a\u0001b\r\nContent-Length: 2\r\n\r\nok', 'latin1'));
    });
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    const local = await startWebUiHarness({ backends: [{ name: 'raw', port: (raw.address() as { port: number }).port }], webuiTls: false });
    try {
      expect((await requestText(`${local.url}/ui/1/`)).status).toBe(502);
      expect((await requestText(`${local.url}/ui/`)).status).toBe(200);
    } finally {
      await local.close();
      await new Promise((resolve) => raw.close(resolve));
    }
  });
});

describe('/ui/<n>/ to a plain-HTTP web UI', () => {
  it('proxies and rewrites the same way', async () => {
    const plain = await startFakeWebUi({ name: 'plain' });
    const local = await startWebUiHarness({ backends: [{ name: 'plain', port: plain.port }], webuiTls: false });
    try {
      const res = await requestText(`${local.url}/ui/1/queries`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('<a href="/ui/1/sessions">');
    } finally {
      await local.close();
      await plain.close();
    }
  });
});
