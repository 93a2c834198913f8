// Regression (issue 10, "decide and document"): a client's own X-Forwarded-Host (and RFC 7239
// Forwarded) passed through /ui to the coordinator's web UI. impalad ignores both today
// (research/impala-protocol.md §4: only X-Forwarded-Context changes its links, and the proxy strips
// it), but a forwarded-host value a client can forge is a host-header injection waiting for the
// next hop that trusts it. Like X-Forwarded-For (overwrite) and X-Forwarded-Proto, the proxy now
// says itself what the client addressed: X-Forwarded-Host is the client's Host, Forwarded is removed.
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

it("X-Forwarded-Host is the Host the client addressed, never the client's own; Forwarded is dropped", async () => {
  const reply = await rawExchange(
    harness.port,
    'GET /ui/1/echo HTTP/1.1\r\nHost: impala-proxy.example.com:8443\r\nX-Forwarded-Host: evil.example\r\nForwarded: for=6.6.6.6;host=evil.example;proto=http\r\nConnection: close\r\n\r\n',
  );
  expect(reply).toMatch(/^HTTP\/1\.1 200 /);
  const seen = ui.requests.at(-1)!.headers;
  expect(seen['x-forwarded-host']).toBe('impala-proxy.example.com:8443');
  expect(seen.forwarded).toBeUndefined();
  expect(seen['x-forwarded-proto']).toBe('https');
});

it('without a Host (HTTP/1.0) no X-Forwarded-Host is sent', async () => {
  const reply = await rawExchange(harness.port, 'GET /ui/1/echo HTTP/1.0\r\nX-Forwarded-Host: evil.example\r\n\r\n');
  expect(reply).toMatch(/^HTTP\/1\.[01] 200 /);
  expect(ui.requests.at(-1)!.headers['x-forwarded-host']).toBeUndefined();
});
