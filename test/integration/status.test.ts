// The /status page in a real browser (headless Chromium through playwright-core): it renders, a
// screenshot lands in test-output/, the numbers on it match /status?format=json, and the charts'
// inline SVG draws the JSON's ten-minute history.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartHeight, chartWidth } from '../../src/status/chart.ts';
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
      viewport: { width: 1280, height: 720 },
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
      for (let i = 0; i < 4; i++) assertSuccess((await client.ping()).status);
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

    // Two charts per coordinator, drawn from the JSON's history: one tooltip per bucket, and every
    // point of the line where the JSON says (y from the value and the chart's own scale). The last
    // bucket is still filling (its rate moves with the clock), so the complete ones are compared,
    // from a page and a JSON taken within the same bucket.
    let history = json;
    for (let attempt = 0; attempt < 3; attempt++) {
      const pageStartsAt = await page.locator('svg.chart').first().getAttribute('data-starts-at');
      if (pageStartsAt === history.coordinators[0]!.history.startsAt) break;
      await page.reload();
      history = (await (await fetch(`${adminUrl}/status?format=json`)).json()) as StatusSnapshot;
    }
    expect(await page.locator('figure.card').count()).toBe(3);
    // Inline SVG only: no script, no stylesheet or image fetched from anywhere.
    const html = await page.content();
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|xlink:href|<use/i);
    for (const expected of history.coordinators) {
      const card = page.locator(`figure.card[data-coordinator="${expected.name}"]`);
      expect(await card.locator('svg.chart').count()).toBe(2);
      for (const field of ['requestsPerSec', 'p99Ms'] as const) {
        const values: readonly (number | null)[] = expected.history[field];
        expect(values).toHaveLength(60);
        const svg = card.locator(`svg[data-chart="${field}"]`);
        expect(await svg.getAttribute('data-starts-at')).toBe(expected.history.startsAt);
        expect(await svg.getAttribute('viewBox')).toBe(`0 0 ${chartWidth} ${chartHeight}`);
        expect(await svg.locator('rect.tip').count()).toBe(60);
        expect(await svg.locator('rect.tip title').first().textContent()).toMatch(/^\d\d:\d\d:\d\d UTC \+10s: [\d.]+ req\/s, p99 /);
        const top = Number(await svg.getAttribute('data-top'));
        const max = Number(await svg.getAttribute('data-max'));
        expect(max).toBeLessThanOrEqual(top);
        expect(max).toBeGreaterThanOrEqual(Math.max(0, ...values.slice(0, -1).filter((v): v is number => v !== null)));
        const d = (await svg.locator('path.line').getAttribute('d')) ?? '';
        const points = [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
        const indexes = values.flatMap((v, k) => (v === null ? [] : [k]));
        expect(points).toHaveLength(indexes.length);
        for (const [i, [x, y]] of points.entries()) {
          const k = indexes[i]!;
          expect(x).toBeCloseTo((k * chartWidth) / 59, 0);
          expect(y).toBeGreaterThanOrEqual(0);
          expect(y).toBeLessThanOrEqual(chartHeight);
          if (k < 59) expect(y).toBeCloseTo(chartHeight - (values[k]! / top) * chartHeight, 0);
        }
      }
    }
    // The traffic above is in the history: 5 clients x 5 RPCs spread over the coordinators.
    const total = history.coordinators.reduce((sum, c) => sum + c.history.requestsPerSec.reduce((a, b) => a + b, 0), 0);
    expect(total).toBeGreaterThan(0);
    expect(history.coordinators.some((c) => c.history.p99Ms.some((v) => v !== null && v > 0))).toBe(true);
    await page.close();
    for (const client of clients) client.close();
  });
});
