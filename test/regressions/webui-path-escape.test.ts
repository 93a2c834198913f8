// Regression: path tricks that make a reverse proxy reach something other than the backend path
// it checked: `..` and its encodings (CVE-2021-41773 / CVE-2021-42013, Apache httpd `.%2e/` and
// `%%32%65`), encoded slashes and backslashes (CWE-22), absolute-form request targets and
// `//host` paths that an open proxy would follow. /ui/<n>/ only ever reaches coordinator n's
// fixed origin; traversal is refused with 400 (src/webui/path.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCert } from '../helpers/certs.ts';
import { rawExchange, startFakeWebUi, startWebUiHarness, type FakeWebUi, type WebUiHarness } from '../helpers/fake-webui.ts';

let ui: FakeWebUi;
let elsewhere: FakeWebUi;
let harness: WebUiHarness;

beforeAll(async () => {
  const tls = { cert: readCert('coordinator.pem'), key: readCert('coordinator-key.pem') };
  ui = await startFakeWebUi({ name: 'coord-a', tls });
  elsewhere = await startFakeWebUi({ name: 'not-configured', tls });
  harness = await startWebUiHarness({ backends: [{ name: 'coord-a', port: ui.port }], webuiTls: true });
});

afterAll(async () => {
  await harness?.close();
  await ui?.close();
  await elsewhere?.close();
});

const get = (target: string) => rawExchange(harness.port, `GET ${target} HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n`);

describe('path escapes on /ui/<n>/', () => {
  it.each([
    '/ui/1/../../etc/passwd',
    '/ui/1/www/../../x',
    '/ui/1/%2e%2e/x',
    '/ui/1/%2E%2E/x',
    '/ui/1/.%2e/x',
    '/ui/1/%2e./x',
    '/ui/1/a%2f..%2fb',
    '/ui/1/a%2F..%2Fb',
    '/ui/1/a%5c..%5cb',
    '/ui/1/a\\..\\b',
    '/ui/%2e%2e/x',
    '/ui/../x',
  ])('%s is refused with 400 and never proxied', async (target) => {
    const before = ui.requests.length;
    expect(await get(target)).toMatch(/^HTTP\/1\.1 400 /);
    expect(ui.requests.length).toBe(before);
  });

  it('an absolute-form target reaches the configured coordinator, never the named host', async () => {
    const reply = await get(`https://127.0.0.1:${elsewhere.port}/ui/1/echo`);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(ui.requests.at(-1)!.url).toBe('/echo');
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('a //host path stays a path on the coordinator', async () => {
    const reply = await get(`/ui/1//127.0.0.1:${elsewhere.port}/echo`);
    expect(reply).toMatch(/^HTTP\/1\.1 404 /); // the coordinator's own 404 for /127.0.0.1:<port>/echo
    expect(ui.requests.at(-1)!.url).toBe(`/127.0.0.1:${elsewhere.port}/echo`);
    expect(await get(`//127.0.0.1:${elsewhere.port}/ui/1/echo`)).toMatch(/^HTTP\/1\.1 400 /);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('double slashes from make_url() collapse like squeasel does', async () => {
    expect(await get('/ui/1//queries?json')).toMatch(/^HTTP\/1\.1 200 /);
    expect(ui.requests.at(-1)!.url).toBe('/queries?json');
  });
});
