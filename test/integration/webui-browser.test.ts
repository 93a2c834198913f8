// End to end in headless Chromium through the real proxy (HTTPS front end, TLS to simulated
// coordinators): the /ui index, coordinator 2's pages, and its make_url() XHR, with every request
// the page makes recorded to prove none leaves the /ui/2/ prefix. Needs Debian's `chromium`.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, type Browser } from '../helpers/browser.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';

const outputDir = fileURLToPath(new URL('../../test-output/', import.meta.url));
let harness: Harness;
let browser: Browser;
let direct: Hs2Client;

beforeAll(async () => {
  harness = await startHarness({ coordinators: 3 });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  direct?.close();
  await browser?.close();
  await harness?.close();
});

it('browses coordinator 2 under /ui/2/ and loads its queries by XHR', async () => {
  const second = harness.cluster.coordinators[1]!;
  // A query that only coordinator 2 knows about, run on its own hs2 port (not through the proxy).
  direct = new Hs2Client({ url: `https://127.0.0.1:${second.hs2HttpPort}`, tls: { ca: readCert('ca.pem') } });
  const session = await direct.openSession();
  assertSuccess(session.status);
  const statement = "select 'seen through /ui/2'";
  const executed = await direct.executeStatement(statement, session.sessionHandle ?? undefined);
  assertSuccess(executed.status);

  const { context } = browser;
  const origin = new URL(harness.url).origin;
  // A client pinned by the hs2 path carries our affinity cookie (Path=/); the web UI must not see it.
  await context.addCookies([{ name: 'impala.session.id', value: 'pinned-token', url: `${origin}/` }]);
  const page = await context.newPage();
  const requested: string[] = [];
  page.on('request', (request) => requested.push(request.url()));

  await page.goto(`${harness.url}/ui`);
  await expect.poll(() => page.locator('#coordinators tbody tr').count()).toBe(3);
  const secondRow = page.locator('#coordinators tbody tr').nth(1);
  expect(await secondRow.locator('td').first().textContent()).toBe('2');
  expect(await secondRow.locator('td').nth(1).textContent()).toBe(second.name);

  const pagesBefore = requested.length;
  await secondRow.locator(`a[href="/ui/2/"]`).click();
  await page.waitForURL(`${harness.url}/ui/2/`);
  expect(await page.locator('#version').textContent()).toContain(second.name);

  await page.locator(`nav a[href="/ui/2/queries"]`).click();
  await page.waitForURL(`${harness.url}/ui/2/queries`);
  const table = page.locator('#queries-table');
  await expect.poll(() => table.getAttribute('data-loaded'), { timeout: 10_000 }).toBe('true');
  expect(await page.locator('#coordinator-name').textContent()).toBe(second.name);
  const cells = await table.locator('tbody td').allTextContents();
  expect(cells).toContain(statement);

  mkdirSync(outputDir, { recursive: true });
  await page.screenshot({ path: `${outputDir}/webui-coordinator-2-queries.png`, fullPage: true });

  // Everything the coordinator pages asked for stayed under /ui/2/ on the proxy's origin,
  // including make_url()'s `/ui/2//queries?json` and the stylesheet's url(/www/…).
  const fromCoordinatorPages = requested.slice(pagesBefore);
  expect(fromCoordinatorPages).toContain(`${origin}/ui/2//queries?json`);
  expect(fromCoordinatorPages).toContain(`${origin}/ui/2/www/style.css`);
  const escaped = fromCoordinatorPages.filter((url) => !url.startsWith(`${origin}/ui/2/`));
  expect(escaped).toEqual([]);

  // Only coordinator 2's web UI saw these pages (the others only get health checks), and never
  // with the affinity cookie.
  const webuiLog = (index: number) => harness.cluster.coordinators[index]!.requestLog.filter((e) => e.port === 'webui' && e.path !== '/healthz');
  expect(webuiLog(0)).toEqual([]);
  expect(webuiLog(2)).toEqual([]);
  const seenBySecond = webuiLog(1);
  expect(seenBySecond.map((e) => e.path)).toEqual(expect.arrayContaining(['/', '/queries', '/www/style.css', '/www/common.js']));
  for (const entry of seenBySecond) expect(String(entry.headers.cookie ?? '')).not.toContain('impala.session.id');
}, 60_000);
