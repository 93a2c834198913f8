// Percentiles of the latencies a Node load generator recorded, in the shape wrk's script prints
// (bench/wrk/hs2-post.lua), so every generator's BENCH_JSON line reads the same. Nearest-rank on
// the sorted values: p99.9 of 10,000 requests is the 10th slowest.

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** `values` in µs; sorts them in place. */
export function summarize(values: Float64Array): LatencySummary {
  values.sort();
  const at = (p: number) => (values.length === 0 ? 0 : Math.round(values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)]!));
  let sum = 0;
  for (const value of values) sum += value;
  return { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: at(100), mean: Math.round(sum / Math.max(1, values.length)) };
}

/** A growable list of latencies without a boxed number per entry. */
export class LatencyList {
  #values = new Float64Array(1024);
  #length = 0;

  push(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }

  get length(): number {
    return this.#length;
  }

  summary(): LatencySummary {
    return summarize(this.#values.subarray(0, this.#length));
  }
}
