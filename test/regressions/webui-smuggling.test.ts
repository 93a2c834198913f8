// Regression: CL.TE request smuggling through http-proxy's `deleteLength` pass, CVE-2026-29057 /
// GHSA-ggv3-7p47-pfv8 (http-party/node-http-proxy#1720, #1721; fixed in httpxy #153, #158).
// http-proxy rewrites a chunked DELETE/OPTIONS to `content-length: 0` yet still pipes the body, so
// the coordinator reads the body as a second request. src/http/guards.ts answers 400 and closes
// before anything is proxied. Raw TLS sockets: an HTTP client would not send these shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCert } from '../helpers/certs.ts';
import { rawExchange, startFakeWebUi, startWebUiHarness, type FakeWebUi, type WebUiHarness } from '../helpers/fake-webui.ts';

let ui: FakeWebUi;
let harness: WebUiHarness;

beforeAll(async () => {
  ui = await startFakeWebUi({ name: 'coord-a', tls: { cert: readCert('coordinator.pem'), key: readCert('coordinator-key.pem') } });
  harness = await startWebUiHarness({ backends: [{ name: 'coord-a', port: ui.port }], webuiTls: true });
});

afterAll(async () => {
  await harness?.close();
  await ui?.close();
});

const smuggled = 'GET /secret HTTP/1.1\r\nHost: x\r\n\r\n';
const chunk = `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;

describe('request smuggling shapes on /ui/<n>/', () => {
  it.each(['DELETE', 'OPTIONS', 'GET', 'HEAD'])('chunked %s gets 400 and a closed connection; nothing reaches the coordinator', async (method) => {
    const before = ui.requests.length;
    const reply = await rawExchange(harness.port, `${method} /ui/1/echo HTTP/1.1\r\nHost: proxy\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`);
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply.match(/HTTP\/1\.1 /g)).toHaveLength(1); // the body was not parsed as a request
    expect(reply).toMatch(/\r\nconnection: close\r\n/i);
    expect(ui.requests.length).toBe(before);
  });

  it('Transfer-Encoding together with Content-Length gets 400', async () => {
    const before = ui.requests.length;
    const reply = await rawExchange(harness.port, `POST /ui/1/echo HTTP/1.1\r\nHost: proxy\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`);
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(ui.requests.length).toBe(before);
  });

  it('a chunked POST is proxied as one request and its body stays a body', async () => {
    const before = ui.requests.length;
    const reply = await rawExchange(harness.port, `POST /ui/1/echo HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    const received = ui.requests.slice(before);
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /echo']);
    expect(received[0]!.body).toBe(smuggled);
    expect(received[0]!.headers.connection).toBe('close'); // never shares an upstream connection
  });
});
