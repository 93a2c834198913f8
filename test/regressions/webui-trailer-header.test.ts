// Regression: a `Trailer` request header made http-proxy throw ERR_HTTP_TRAILER_INVALID while
// writing the upstream head, outside its error handling, crashing the process
// (http-party/node-http-proxy#1647). src/http/guards.ts strips Trailer, TE and every hop-by-hop
// and Connection-listed header before proxying.
import { afterAll, beforeAll, expect, it } from 'vitest';
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

it('a GET with Trailer and TE headers is proxied without them, and the proxy keeps serving', async () => {
  const reply = await rawExchange(
    harness.port,
    'GET /ui/1/echo HTTP/1.1\r\nHost: proxy\r\nTrailer: x-foo\r\nTE: trailers, deflate\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\n\r\n',
  );
  expect(reply).toMatch(/^HTTP\/1\.1 200 /);
  const seen = ui.requests.at(-1)!;
  expect(seen.url).toBe('/echo');
  expect(seen.headers.trailer).toBeUndefined();
  expect(seen.headers.te).toBeUndefined();
  expect(seen.headers['x-hop']).toBeUndefined();

  const next = await rawExchange(harness.port, 'GET /ui/1/echo HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n');
  expect(next).toMatch(/^HTTP\/1\.1 200 /);
});
