// The last minute of one coordinator's requests, for the status page's req/s, errors and p99.
// A fixed ring of typed arrays: recording is two stores and an increment, nothing is allocated
// per request, and the window is only walked when someone looks at /status.

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

export class RecentRequests {
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
  }

  summarize(nowMs: number): RecentSummary {
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
    if (durations.length === 0) return { requestsPerSec: 0, errors: 0, p99Ms: null };
    // A full ring covers less than the window: rate over the span it does cover.
    const spanMs = durations.length === capacity ? Math.max(nowMs - oldestMs, 1) : recentWindowMs;
    durations.sort((a, b) => a - b);
    const p99 = durations[Math.min(durations.length - 1, Math.ceil(durations.length * 0.99) - 1)]!;
    return { requestsPerSec: round((durations.length * 1000) / spanMs, 2), errors, p99Ms: round(p99, 1) };
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
