// Regression: on Node >= 15.5 `req.on('aborted')` no longer fires once the request body is
// complete, so http-proxy never stopped the upstream request when the client went away
// (nodejs/node#46666; http-party/node-http-proxy PRs #1559, #1580 unmerged; the socket leaks of
// jupyterhub/configurable-http-proxy#434). WebUiProxy destroys the upstream request when the
// response closes before it finished.
import { connect } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readCert } from '../helpers/certs.ts';
import { startFakeWebUi, startWebUiHarness, type FakeWebUi, type WebUiHarness } from '../helpers/fake-webui.ts';
import { waitFor } from '../helpers/wait-for.ts';

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

it('a client that disconnects mid-request closes the upstream request', async () => {
  const socket = connect({ host: '127.0.0.1', port: harness.port, ca: readCert('ca.pem') }, () => {
    socket.write('GET /ui/1/hang HTTP/1.1\r\nHost: proxy\r\n\r\n');
  });
  socket.on('error', () => {});
  await waitFor(() => ui.requests.some((r) => r.url === '/hang'), { what: 'the request to reach the web UI' });
  socket.destroy();
  await waitFor(() => ui.abortedHangs === 1, { what: 'the upstream request to be closed' });
});
