// Timing for the micro benchmarks (thrift-walk.ts, request-checks.ts): ns per call of a function,
// timed over batches of calls between clock reads so the clock costs little, after a warm-up.

/** ns per call of `run(input)`, over as many calls as fit in `ms`. */
export function nsPerCall<T>(run: (input: T) => void, input: T, ms: number): number {
  let batch = 16;
  let calls = 0;
  const start = process.hrtime.bigint();
  const stop = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < stop) {
    for (let i = 0; i < batch; i++) run(input);
    calls += batch;
    if (batch < 4096) batch *= 2;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / calls;
}

export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export function formatNs(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`;
}
