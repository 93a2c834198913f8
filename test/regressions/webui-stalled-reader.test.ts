// Regression: a client that stops reading a large web UI response (an asset, a JSON dump) held one
// of the coordinator's webui.maxSocketsPerCoordinator upstream sockets for as long as it liked:
// pipeline() pauses the upstream while the client's buffer is full, and nothing timed that out.
// That many stalled clients, from anywhere the client listener is reachable, and nobody got that
// coordinator's web UI. The proxy now cuts a streamed response that waits on its client for
// server.responseDrainTimeoutMs.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStalledReader } from '../helpers/raw-tls.ts';
import { requestText, startFakeWebUi, startWebUiHarness, type FakeWebUi, type WebUiHarness } from '../helpers/fake-webui.ts';
import { waitFor, withDeadline } from '../helpers/wait-for.ts';

const drainTimeoutMs = 1_000;
const assetBytes = 24 * 1024 * 1024; // far more than the socket buffers on both sides hold
let ui: FakeWebUi;
let harness: WebUiHarness;

beforeAll(async () => {
  ui = await startFakeWebUi({ name: 'coord-a' });
  harness = await startWebUiHarness({
    backends: [{ name: 'coord-a', port: ui.port }],
    webuiTls: false,
    config: { webui: { maxSocketsPerCoordinator: 1 }, server: { responseDrainTimeoutMs: drainTimeoutMs } },
  });
});

afterAll(async () => {
  await harness?.close();
  await ui?.close();
});

it('a client that stops reading a large asset is cut, and the upstream socket it held serves the next client', async () => {
  const stalled = await startStalledReader(harness.port, `GET /ui/1/www/big.js?bytes=${assetBytes} HTTP/1.1\r\nHost: proxy\r\n\r\n`);
  await waitFor(() => ui.requests.some((r) => r.url.startsWith('/www/big.js')), { what: 'the asset request at the web UI' });

  // The coordinator's one web UI socket is the stalled response's: this page waits until it is cut.
  const page = await withDeadline(requestText(`${harness.url}/ui/1/queries?json`), 15_000, 'a page behind the stalled client');
  expect(page.status).toBe(200);
  expect(JSON.parse(page.text)).toMatchObject({ coordinator: 'coord-a' });

  // Reading again, the stalled client finds its response cut short.
  expect(await stalled.readRest()).toBeLessThan(assetBytes);
}, 40_000);
