// What the primary's /metrics keeps of workers that are gone. The sum over live workers alone
// would drop by a dead worker's counts, and Prometheus's rate() takes a drop for a counter reset
// (and reports the whole counter as one spike). So the primary remembers the monotonic part of
// each worker's last answer to a scrape and, when the worker exits, adds it into one `retired`
// snapshot that every later aggregate includes: bounded by the number of series, not of restarts.
//
// Monotonic: counters and histograms (their buckets, sum and count) that the aggregator sums.
// That includes Node's process_cpu_*_seconds_total and nodejs_gc_duration_seconds: summed over
// processes they are the CPU and GC time the proxy spent, which a dead process did spend too.
// Gauges (in flight, connections, memory, event-loop lag) describe live state and go with the
// worker. What a worker counted after the last scrape it answered is lost (README "Workers").
import type { MetricObjectWithValues, MetricValue, MetricValueWithName } from 'prom-client';

/** A registry's getMetricsAsJSON(), as a worker answers the primary's `metrics` question. */
export type MetricsSnapshot = readonly MetricObjectWithValues<MetricValue<string>>[];
type MetricFamily = MetricsSnapshot[number];

/** Counters and histograms that are summed over processes: their series only grow while the process lives. */
export function isMonotonic(metric: MetricFamily): boolean {
  // prom-client's typings declare `type` a numeric enum; its metrics set the strings (lib/counter.js, histogram.js).
  const type = metric.type as unknown as string;
  return (type === 'counter' || type === 'histogram') && (metric.aggregator ?? 'sum') === 'sum';
}

/** The families of `snapshot` that outlive the process that counted them. */
export function monotonicPart(snapshot: MetricsSnapshot): MetricsSnapshot {
  return snapshot.filter(isMonotonic);
}

/** `a` + `b`, series by series (family, sample name such as `_bucket`, labels); a family keeps the settings `a` gave it. */
export function addSnapshots(a: MetricsSnapshot, b: MetricsSnapshot): MetricsSnapshot {
  const families = new Map<string, { readonly metric: MetricFamily; readonly series: Map<string, MetricValue<string>> }>();
  for (const metric of [...a, ...b]) {
    let family = families.get(metric.name);
    if (family === undefined) families.set(metric.name, (family = { metric, series: new Map() }));
    for (const value of metric.values) {
      const key = seriesKey(value);
      const sum = family.series.get(key);
      family.series.set(key, sum === undefined ? value : { ...sum, value: sum.value + value.value });
    }
  }
  return Array.from(families.values(), ({ metric, series }) => ({ ...metric, values: [...series.values()] }));
}

function seriesKey(value: MetricValueWithName<string>): string {
  const labels = Object.entries(value.labels).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return JSON.stringify([value.metricName ?? '', labels]);
}

/**
 * The monotonic part of each live worker's last answer, and of every worker gone, added up. The
 * primary's scrapes write `remember`, a worker's exit writes `retire`; nothing runs between scrapes.
 */
export class RetiredCounters {
  readonly #last = new Map<number, MetricsSnapshot>();
  #retired: MetricsSnapshot = [];

  /** Worker `id` answered a scrape with `snapshot`. */
  remember(id: number, snapshot: MetricsSnapshot): void {
    this.#last.set(id, monotonicPart(snapshot));
  }

  /** What worker `id` last answered (monotonic part): for a live worker that did not answer this time. */
  last(id: number): MetricsSnapshot | undefined {
    return this.#last.get(id);
  }

  /** Worker `id` is gone: its last answer joins the retired sum. */
  retire(id: number): void {
    const last = this.#last.get(id);
    if (last === undefined) return;
    this.#last.delete(id);
    this.#retired = addSnapshots(this.#retired, last);
  }

  /** Every gone worker's last answer, added up. */
  get retired(): MetricsSnapshot {
    return this.#retired;
  }
}
