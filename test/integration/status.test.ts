// The /status page in a real browser (headless Chromium through playwright-core): it renders, a
// screenshot lands in test-output/, and the numbers on it match /status?format=json.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../../src/status/snapshot.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { readCert } from '../helpers/certs.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

const chromiumPath = '/usr/bin/chromium';
const outputDir = new URL('../../test-output/', import.meta.url).pathname;

describe('status page', () => {
  let harness: Harness;
  let browser: BrowserContext | undefined;
  let profileDir: string;

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(`${chromiumPath} is missing: install Debian's chromium (apt-get install -y chromium) to run the status page test`);
    }
    profileDir = mkdtempSync(join(tmpdir(), 'ihp-chromium-'));
    harness = await startHarness({ config: { admin: { host: '127.0.0.1', port: 0 } } });
    // A fresh profile per run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 520 },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('renders one row per coordinator whose numbers match the JSON', async () => {
    // Some traffic, a drained coordinator and a down one, so every column has something to show.
    const clients = Array.from({ length: 5 }, () => new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } }));
    for (const client of clients) {
      assertSuccess((await client.openSession()).status);
      assertSuccess((await client.ping()).status);
    }
    harness.proxy.setOperatorState('2', 'drain', 'test');
    harness.cluster.coordinators[2]!.setHealthy(false);
    await waitFor(() => harness.proxy.coordinators.all[2]!.health === 'down', { what: 'coordinator 3 down' });
    await waitFor(() => harness.proxy.coordinators.all.every((c) => c.lastProbe !== undefined), { what: 'a probe of each' });

    const adminUrl = harness.proxy.adminUrl();
    const page = await browser!.newPage();
    const response = await page.goto(`${adminUrl}/status`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, 'status-page.png'), fullPage: true });
    const json = (await (await fetch(`${adminUrl}/status?format=json`)).json()) as StatusSnapshot;

    expect(await page.title()).toBe(`impala-ha-proxy — 1/3 available`); // draining takes no new clients
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('5');
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(3);
    for (const [i, expected] of json.coordinators.entries()) {
      const row = rows.nth(i);
      const cell = (field: string) => row.locator(`[data-field="${field}"]`).innerText();
      expect(await row.getAttribute('data-coordinator')).toBe(expected.name);
      expect(await cell('index')).toBe(String(expected.index));
      expect(await cell('name')).toBe(expected.name);
      expect(await cell('health')).toBe(expected.health);
      expect(await cell('operatorState')).toBe(expected.operatorState);
      expect(Number(await cell('sessions'))).toBe(expected.sessions);
      expect(Number(await cell('requestsPerSec'))).toBeCloseTo(expected.requestsPerSec, 2);
      expect(Number(await cell('errors'))).toBe(expected.errors);
      const p99 = await cell('p99Ms');
      expect(p99 === '–' ? null : Number.parseFloat(p99)).toBe(expected.p99Ms);
      expect(await row.locator('[data-field="since"]').getAttribute('datetime')).toBe(expected.since);
      expect(await row.locator('[data-field="ui"]').getAttribute('href')).toBe(`/ui/${expected.index}/`);
      expect(await cell('lastCheck')).toContain(expected.lastCheck!.detail);
    }
    expect(json.coordinators.map((c) => [c.health, c.operatorState])).toEqual([['up', 'enabled'], ['up', 'draining'], ['down', 'enabled']]);
    // A coordinator that went down lost its sessions; the others' counts are the simulators'.
    expect(json.coordinators.map((c) => c.sessions)).toEqual(harness.cluster.coordinators.map((sim, i) => (i === 2 ? 0 : sim.openSessions)));
    expect(json.isReady).toBe(true);
    // The table fits the viewport: nothing overflows sideways.
    // A string, evaluated in the page: the test's tsconfig has no DOM types.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.close();
    for (const client of clients) client.close();
  });
});
