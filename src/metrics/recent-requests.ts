// One coordinator's recent requests for the status page: the last minute exactly (req/s, errors and
// p99 in the table) and the last ten minutes in 10 s buckets (the charts). Fixed rings of typed
// arrays: recording allocates nothing, and the rings are only walked when someone looks at /status.

/** The status page's window. */
export const recentWindowMs = 60_000;

export interface RecentSummary {
  /** Requests per second over the window. */
  readonly requestsPerSec: number;
  /** Failed requests (5xx or an upstream/internal error) in the window. */
  readonly errors: number;
  /** 99th percentile of total latency in the window, ms; null without requests. */
  readonly p99Ms: number | null;
}

/**
 * One process's part of the window, unrounded: with workers (src/cluster/) the primary sums the
 * rates and errors of every worker's part and takes the p99 over all their durations.
 */
export interface RecentWindow {
  readonly requestsPerSec: number;
  readonly errors: number;
  readonly durationsMs: Float64Array;
}

export class RecentRequests {
  readonly history = new RequestHistoryRing();
  readonly #atMs: Float64Array;
  readonly #durationMs: Float64Array;
  readonly #isError: Uint8Array;
  #next = 0;
  #count = 0;

  /** 4,096 entries cover 68 req/s over the whole minute; beyond that the window shrinks. */
  constructor(capacity = 4096) {
    this.#atMs = new Float64Array(capacity);
    this.#durationMs = new Float64Array(capacity);
    this.#isError = new Uint8Array(capacity);
  }

  record(atMs: number, durationMs: number, isError: boolean): void {
    const i = this.#next;
    this.#atMs[i] = atMs;
    this.#durationMs[i] = durationMs;
    this.#isError[i] = isError ? 1 : 0;
    this.#next = (i + 1) % this.#atMs.length;
    if (this.#count < this.#atMs.length) this.#count += 1;
    this.history.record(atMs, durationMs, isError);
  }

  summarize(nowMs: number): RecentSummary {
    return summarizeWindows([this.window(nowMs)]);
  }

  window(nowMs: number): RecentWindow {
    const capacity = this.#atMs.length;
    const since = nowMs - recentWindowMs;
    const durations: number[] = [];
    let errors = 0;
    let oldestMs = nowMs;
    for (let k = 1; k <= this.#count; k++) {
      const i = (this.#next - k + capacity) % capacity;
      const at = this.#atMs[i]!;
      if (at < since) break; // entries are in time order, newest first from here
      durations.push(this.#durationMs[i]!);
      errors += this.#isError[i]!;
      oldestMs = at;
    }
    // A full ring covers less than the window: rate over the span it does cover.
    const spanMs = durations.length === capacity ? Math.max(nowMs - oldestMs, 1) : recentWindowMs;
    return { requestsPerSec: (durations.length * 1000) / spanMs, errors, durationsMs: Float64Array.from(durations) };
  }
}

/** The status table's figures over one or more processes' windows (rates and errors add up). */
export function summarizeWindows(windows: readonly RecentWindow[]): RecentSummary {
  let count = 0;
  for (const window of windows) count += window.durationsMs.length;
  if (count === 0) return { requestsPerSec: 0, errors: 0, p99Ms: null };
  const durations = new Float64Array(count);
  let requestsPerSec = 0;
  let errors = 0;
  let at = 0;
  for (const window of windows) {
    durations.set(window.durationsMs, at);
    at += window.durationsMs.length;
    requestsPerSec += window.requestsPerSec;
    errors += window.errors;
  }
  durations.sort();
  const p99 = durations[Math.min(count - 1, Math.ceil(count * 0.99) - 1)]!;
  return { requestsPerSec: round(requestsPerSec, 2), errors, p99Ms: round(p99, 1) };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The status page's charts: ten minutes in 10 s buckets. */
export const historyBucketMs = 10_000;
export const historyBucketCount = 60;
/** One slot more than is shown, so a record stamped just after `now` cannot overwrite the oldest bucket shown. */
const slotCount = historyBucketCount + 1;

/**
 * Latency bins of a history bucket: log-spaced, 4 per doubling (each about 19 % wide), from
 * 1/8 ms to 2^20 ms (17 min); shorter and longer requests land in the first and last bin.
 */
const binsPerDoubling = 4;
const lowestBinMs = 1 / 8;
const binCount = 23 * binsPerDoubling;

/** Upper edge of latency bin `i`, ms. */
function binUpperMs(i: number): number {
  return lowestBinMs * 2 ** ((i + 1) / binsPerDoubling);
}

function binOf(durationMs: number): number {
  if (!(durationMs > lowestBinMs)) return 0;
  const i = Math.ceil(Math.log2(durationMs / lowestBinMs) * binsPerDoubling) - 1;
  return i < binCount ? i : binCount - 1;
}

/** Buckets oldest first, the last one in progress; parallel arrays so the JSON stays small. */
export interface RequestHistory {
  readonly bucketSec: number;
  /** ISO start time of the first bucket; bucket k starts bucketSec * k later. */
  readonly startsAt: string;
  /** The bucket in progress is rated over its elapsed part (at least 1 s). */
  readonly requestsPerSec: readonly number[];
  readonly errors: readonly number[];
  /** Estimated from the bucket's latency bins (linear within a bin, as PromQL histogram_quantile); null without requests. */
  readonly p99Ms: readonly (number | null)[];
}

/**
 * The counts behind a RequestHistory, for the last historyBucketCount buckets up to a time: with
 * workers the primary adds up every worker's (asked with the same `nowMs`, so buckets line up).
 */
export interface RawHistory {
  /** Index of the first bucket (ms since epoch / historyBucketMs). */
  readonly firstBucket: number;
  /** Elapsed part of the bucket in progress, at least 1 s. */
  readonly elapsedMs: number;
  readonly requests: Uint32Array;
  readonly errors: Uint32Array;
  /** binCount latency bins per bucket. */
  readonly bins: Uint32Array;
}

/**
 * Per 10 s bucket: request and error counts and a latency histogram, in a ring reused in place
 * (61 buckets x 92 bins of Uint32: 22 KiB per coordinator). Recording is a log2 and three
 * increments (RecentRequests.record went from ~15 to ~55 ns a call with it, Node 24, shared 2-core
 * VM); a bucket is cleared when its slot is reused for a later interval.
 */
export class RequestHistoryRing {
  readonly #startMs = new Float64Array(slotCount).fill(-1);
  readonly #requests = new Uint32Array(slotCount);
  readonly #errors = new Uint32Array(slotCount);
  readonly #bins = new Uint32Array(slotCount * binCount);

  /** The bucket being filled: most requests land in it, so its slot is kept rather than recomputed. */
  #openStartMs = -1;
  #openSlot = 0;

  record(atMs: number, durationMs: number, isError: boolean): void {
    let slot = this.#openSlot;
    if (atMs < this.#openStartMs || atMs >= this.#openStartMs + historyBucketMs) slot = this.#open(atMs);
    this.#requests[slot] += 1;
    if (isError) this.#errors[slot] += 1;
    this.#bins[slot * binCount + binOf(durationMs)] += 1;
  }

  /** The slot for atMs's bucket, cleared if it still holds an older interval. */
  #open(atMs: number): number {
    const bucket = Math.floor(atMs / historyBucketMs);
    const slot = bucket % slotCount;
    const startMs = bucket * historyBucketMs;
    if (this.#startMs[slot] !== startMs) {
      this.#startMs[slot] = startMs;
      this.#requests[slot] = 0;
      this.#errors[slot] = 0;
      this.#bins.fill(0, slot * binCount, (slot + 1) * binCount);
    }
    // The open bucket is the latest record's, also when the wall clock stepped back.
    this.#openStartMs = startMs;
    this.#openSlot = slot;
    return slot;
  }

  /** The last historyBucketCount buckets up to `nowMs`, the one in progress included (a failover shows at once). */
  series(nowMs: number): RequestHistory {
    return historyOf([this.raw(nowMs)]);
  }

  raw(nowMs: number): RawHistory {
    const current = Math.floor(nowMs / historyBucketMs);
    const first = current - historyBucketCount + 1;
    const requests = new Uint32Array(historyBucketCount);
    const errors = new Uint32Array(historyBucketCount);
    const bins = new Uint32Array(historyBucketCount * binCount);
    for (let k = 0; k < historyBucketCount; k++) {
      const bucket = first + k;
      const slot = ((bucket % slotCount) + slotCount) % slotCount;
      if (this.#startMs[slot] !== bucket * historyBucketMs || this.#requests[slot] === 0) continue;
      requests[k] = this.#requests[slot]!;
      errors[k] = this.#errors[slot]!;
      bins.set(this.#bins.subarray(slot * binCount, (slot + 1) * binCount), k * binCount);
    }
    return { firstBucket: first, elapsedMs: Math.min(historyBucketMs, Math.max(1_000, nowMs - current * historyBucketMs)), requests, errors, bins };
  }
}

/** The charts' series over one or more processes' counts; those not aligned with the first are left out. */
export function historyOf(raws: readonly RawHistory[]): RequestHistory {
  const [base] = raws;
  if (base === undefined) throw new Error('historyOf needs at least one RawHistory');
  const aligned = raws.filter((raw) => raw.firstBucket === base.firstBucket);
  const bins = new Uint32Array(binCount);
  const requestsPerSec: number[] = [];
  const errors: number[] = [];
  const p99Ms: (number | null)[] = [];
  for (let k = 0; k < historyBucketCount; k++) {
    let count = 0;
    let failed = 0;
    bins.fill(0);
    for (const raw of aligned) {
      count += raw.requests[k]!;
      failed += raw.errors[k]!;
      for (let i = 0; i < binCount; i++) bins[i]! += raw.bins[k * binCount + i]!;
    }
    const isCurrent = k === historyBucketCount - 1;
    requestsPerSec.push(round((count * 1000) / (isCurrent ? base.elapsedMs : historyBucketMs), 2));
    errors.push(failed);
    p99Ms.push(count === 0 ? null : round(quantile(bins, count, 0.99), 1));
  }
  return { bucketSec: historyBucketMs / 1000, startsAt: new Date(base.firstBucket * historyBucketMs).toISOString(), requestsPerSec, errors, p99Ms };
}

function quantile(bins: Uint32Array, count: number, q: number): number {
  const rank = q * count;
  let seen = 0;
  for (let i = 0; i < binCount; i++) {
    const inBin = bins[i]!;
    if (inBin === 0 || seen + inBin < rank) {
      seen += inBin;
      continue;
    }
    const lower = i === 0 ? 0 : binUpperMs(i - 1);
    return lower + (binUpperMs(i) - lower) * ((rank - seen) / inBin);
  }
  return binUpperMs(binCount - 1);
}
