// The status page's numbers: the exact last minute, and the ten-minute history in 10 s buckets.
import { describe, expect, it } from 'vitest';
import { historyBucketCount, historyBucketMs, historyOf, RecentRequests, RequestHistoryRing, summarizeWindows } from '../../src/metrics/recent-requests.ts';

const t0 = Date.parse('2026-05-01T12:00:00.000Z'); // a bucket boundary

describe('RecentRequests.summarize', () => {
  it('covers the last minute', () => {
    const recent = new RecentRequests();
    for (let i = 0; i < 120; i++) recent.record(t0 + i * 1000, i === 119 ? 500 : 2, i % 40 === 0);
    expect(recent.summarize(t0 + 120_000)).toEqual({ requestsPerSec: 1, errors: 1, p99Ms: 500 });
    expect(recent.summarize(t0 + 179_000)).toEqual({ requestsPerSec: 0.02, errors: 0, p99Ms: 500 });
    expect(recent.summarize(t0 + 179_001)).toEqual({ requestsPerSec: 0, errors: 0, p99Ms: null });
  });
});

describe('RequestHistoryRing', () => {
  it('returns ten minutes of buckets, oldest first, the one in progress rated over its elapsed part', () => {
    const ring = new RequestHistoryRing();
    const now = t0 + 590_000 + 4_000; // 4 s into the 60th bucket
    for (let i = 0; i < 8; i++) ring.record(now - 100 - i, 5, false); // in progress: 8 in 4 s
    for (let i = 0; i < 50; i++) ring.record(now - 4_000 - 1 - i * 100, 10, i < 5); // the last complete bucket: 50 requests
    ring.record(t0 + 1, 3, false); // the oldest bucket shown
    ring.record(t0 - 1, 3, false); // just before the window
    const series = ring.series(now);
    expect(series.bucketSec).toBe(historyBucketMs / 1000);
    expect(series.startsAt).toBe(new Date(t0).toISOString());
    expect(series.requestsPerSec).toHaveLength(historyBucketCount);
    expect(series.requestsPerSec.slice(-2)).toEqual([5, 2]);
    expect(series.errors.slice(-2)).toEqual([5, 0]);
    expect(series.p99Ms.at(-1)).toBeGreaterThanOrEqual(5 / 1.19);
    expect(series.p99Ms.at(-1)).toBeLessThanOrEqual(5 * 1.19);
    expect(series.requestsPerSec[0]).toBe(0.1);
    expect(series.requestsPerSec.slice(1, -2).every((rate) => rate === 0)).toBe(true);
    expect(series.p99Ms.slice(1, -2).every((p99) => p99 === null)).toBe(true);
    expect(series.errors.slice(0, -2).every((count) => count === 0)).toBe(true);
    // Right at a bucket's start, the bucket in progress is rated over 1 s, not over nothing.
    ring.record(t0 + 600_000, 1, false);
    expect(ring.series(t0 + 600_000).requestsPerSec.at(-1)).toBe(1);
  });

  it('estimates p99 within one latency bin (about 19 %)', () => {
    for (const slowMs of [0.05, 0.3, 4, 37, 900, 45_000, 3_600_000]) {
      const ring = new RequestHistoryRing();
      for (let i = 0; i < 980; i++) ring.record(t0 + i, slowMs / 10, false);
      for (let i = 0; i < 20; i++) ring.record(t0 + 5_000 + i, slowMs, false);
      const p99 = ring.series(t0 + historyBucketMs - 1).p99Ms.at(-1)!;
      if (slowMs < 0.125) expect(p99).toBeLessThanOrEqual(0.15); // below the first bin: reported within it
      else if (slowMs > 2 ** 20) expect(p99).toBeGreaterThanOrEqual(2 ** 20 / 1.19); // beyond the last bin: within it
      else {
        expect(p99).toBeGreaterThanOrEqual(slowMs / 1.19 - 0.05);
        expect(p99).toBeLessThanOrEqual(slowMs * 1.19 + 0.05);
      }
    }
  });

  it('clears a slot when it is reused ten minutes later', () => {
    const ring = new RequestHistoryRing();
    for (let i = 0; i < 30; i++) ring.record(t0 + i, 2_000, true);
    const later = t0 + (historyBucketCount + 1) * historyBucketMs; // the same slot, one lap later
    ring.record(later + 1, 1, false);
    const series = ring.series(later + historyBucketMs - 1);
    expect(series.requestsPerSec.at(-1)).toBe(0.1);
    expect(series.errors.at(-1)).toBe(0);
    expect(series.p99Ms.at(-1)).toBeLessThan(2);
    expect(series.errors.every((count) => count === 0)).toBe(true); // t0's bucket has left the window
  });
});

describe('merging processes (server.workers)', () => {
  it('the window over two processes is the window of one that saw all their requests', () => {
    const [a, b, both] = [new RecentRequests(), new RecentRequests(), new RecentRequests()];
    for (let i = 0; i < 200; i++) {
      const [atMs, durationMs, isError] = [t0 + i * 100, (i * 37) % 101, i % 17 === 0] as const;
      (i % 3 === 0 ? a : b).record(atMs, durationMs, isError);
      both.record(atMs, durationMs, isError);
    }
    const now = t0 + 30_000;
    expect(summarizeWindows([a.window(now), b.window(now)])).toEqual(both.summarize(now));
    expect(summarizeWindows([a.window(now)])).toEqual(a.summarize(now));
    expect(summarizeWindows([])).toEqual({ requestsPerSec: 0, errors: 0, p99Ms: null });
  });

  it('the p99 over two processes is not an average of their p99s', () => {
    const [fast, slow] = [new RecentRequests(), new RecentRequests()];
    for (let i = 0; i < 99; i++) fast.record(t0 + i, 1, false);
    for (let i = 0; i < 2; i++) slow.record(t0 + i, 1_000, false);
    expect(summarizeWindows([fast.window(t0 + 1_000), slow.window(t0 + 1_000)]).p99Ms).toBe(1_000);
  });

  it('charts over two processes add their buckets up', () => {
    const [a, b, both] = [new RequestHistoryRing(), new RequestHistoryRing(), new RequestHistoryRing()];
    const now = t0 + 595_000;
    for (let i = 0; i < 500; i++) {
      const [atMs, durationMs, isError] = [now - i * 1_100, 1 + (i % 50), i % 9 === 0] as const;
      (i % 2 === 0 ? a : b).record(atMs, durationMs, isError);
      both.record(atMs, durationMs, isError);
    }
    expect(historyOf([a.raw(now), b.raw(now)])).toEqual(both.series(now));
    expect(historyOf([a.raw(now)])).toEqual(a.series(now));
    // A process asked at another time (its buckets do not line up) is left out, not misplaced.
    expect(historyOf([a.raw(now), b.raw(now + historyBucketMs)])).toEqual(a.series(now));
  });
});
