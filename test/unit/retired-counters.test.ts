// What the primary's /metrics keeps of a worker that is gone: the monotonic part of its last
// answer, added into one retired snapshot (src/cluster/retired-counters.ts).
import { AggregatorRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { addSnapshots, isMonotonic, monotonicPart, RetiredCounters, type MetricsSnapshot } from '../../src/cluster/retired-counters.ts';
import type { Outcome } from '../../src/hs2/outcome.ts';
import { ProxyMetrics } from '../../src/metrics/metrics.ts';
import type { Coordinator } from '../../src/upstream/coordinator.ts';
import { parseExposition, pick } from '../helpers/exposition.ts';

const coordinator = { name: 'c1', health: 'up', operatorState: 'enabled', isQuiescing: false, sessions: 0, inFlight: new Set([1, 2]), pool: { stats: { connected: 1, free: 0, pending: 0 } } } as unknown as Coordinator;
const outcome = { rpc: 'OpenSession', verdict: 'new', servedBy: 'c1', status: 200, attempts: [{ coordinator: 'c1', ms: 1, error: undefined }], totalMs: 2, upstreamMs: 1, bytesIn: 10, bytesOut: 20 } as unknown as Outcome;

const made: ProxyMetrics[] = [];
afterEach(() => {
  for (const metrics of made.splice(0)) metrics.close();
});

/** A worker's answer to the primary's `metrics` question after `requests` OpenSessions. */
async function workerSnapshot(requests: number): Promise<MetricsSnapshot> {
  const metrics = new ProxyMetrics({ coordinators: () => [coordinator], learnedSessions: () => 0, clientConnections: async () => new Map([['https', 3]]), tcpListeners: () => [] }, 'worker');
  made.push(metrics);
  for (let i = 0; i < requests; i++) metrics.observe(outcome);
  return metrics.registry.getMetricsAsJSON();
}

const family = (snapshot: MetricsSnapshot, name: string) => snapshot.find((m) => m.name === `impala_ha_proxy_${name}`);
const exposition = async (snapshots: MetricsSnapshot[]) => parseExposition(await AggregatorRegistry.aggregate(snapshots).metrics());

describe('monotonicPart', () => {
  it('keeps counters and histograms, process CPU and GC included; drops every gauge', async () => {
    const kept = monotonicPart(await workerSnapshot(1));
    const names = kept.map((m) => m.name.replace('impala_ha_proxy_', ''));
    expect(names).toEqual(expect.arrayContaining(['requests_total', 'request_duration_seconds', 'tls_handshakes_total', 'cluster_messages_total', 'process_cpu_seconds_total', 'nodejs_gc_duration_seconds']));
    for (const gone of ['coordinator_in_flight_requests', 'client_connections', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_version_info', 'nodejs_active_handles_total']) {
      expect(names).not.toContain(gone);
    }
    expect(kept.every((m) => ['counter', 'histogram'].includes(m.type as unknown as string))).toBe(true);
  });

  it('a counter the aggregator does not sum is not carried over', () => {
    const counter = { name: 'x_total', help: 'x', type: 'counter', aggregator: 'first', values: [{ value: 1, labels: {} }] } as unknown as MetricsSnapshot[number];
    expect(isMonotonic(counter)).toBe(false);
    expect(isMonotonic({ ...counter, aggregator: 'sum' })).toBe(true);
  });
});

describe('addSnapshots', () => {
  it('adds series by sample name and labels, whatever the label order, and keeps series only one side has', () => {
    const a = [{ name: 'r_total', help: 'r', type: 'counter', aggregator: 'sum', values: [{ value: 2, labels: { c: 'c1', m: 'Open' } }, { value: 1, labels: { c: 'c2', m: 'Open' } }] }] as unknown as MetricsSnapshot;
    const b = [
      { name: 'r_total', help: 'r', type: 'counter', aggregator: 'sum', values: [{ value: 5, labels: { m: 'Open', c: 'c1' } }, { value: 7, labels: { c: 'c3', m: 'Open' } }] },
      { name: 'other_total', help: 'o', type: 'counter', aggregator: 'sum', values: [{ value: 4, labels: {} }] },
    ] as unknown as MetricsSnapshot;
    const sum = addSnapshots(a, b);
    expect(sum.map((m) => m.name)).toEqual(['r_total', 'other_total']);
    expect(sum[0]!.values.map((v) => [v.labels.c, v.value])).toEqual([['c1', 7], ['c2', 1], ['c3', 7]]);
    expect(sum[1]!.values).toEqual([{ value: 4, labels: {} }]);
    // Neither input changed: the retired snapshot is rebuilt, never edited in place.
    expect(a[0]!.values.map((v) => v.value)).toEqual([2, 1]);
  });

  it("adds histograms' buckets, sums and counts one by one", async () => {
    const one = await workerSnapshot(1);
    const sum = addSnapshots(monotonicPart(one), monotonicPart(await workerSnapshot(2)));
    const samples = await exposition([sum]);
    expect(pick(samples, 'impala_ha_proxy_request_duration_seconds_count', { coordinator: 'c1' })).toBe(3);
    expect(pick(samples, 'impala_ha_proxy_request_duration_seconds_bucket', { coordinator: 'c1', le: '+Inf' })).toBe(3);
    expect(pick(samples, 'impala_ha_proxy_request_duration_seconds_sum', { coordinator: 'c1' })).toBeCloseTo(3 * 0.002);
    expect(family(sum, 'request_duration_seconds')!.values).toHaveLength(family(one, 'request_duration_seconds')!.values.length);
  });
});

describe('RetiredCounters', () => {
  it("keeps a gone worker's last counters in the sum, not its gauges, and one snapshot for every worker gone", async () => {
    const counters = new RetiredCounters();
    counters.remember(1, await workerSnapshot(3));
    counters.remember(2, await workerSnapshot(4));
    counters.retire(1);
    counters.retire(1); // its exit is handled once; a second retire adds nothing
    counters.retire(9); // never answered a scrape: nothing to keep
    expect(counters.last(1)).toBeUndefined();
    // Worker 3 replaced worker 1 and served one request; worker 2 served on.
    const live = [await workerSnapshot(1), await workerSnapshot(4)];
    let samples = await exposition([...live, counters.retired]);
    expect(pick(samples, 'impala_ha_proxy_requests_total')).toBe(3 + 4 + 1);
    expect(pick(samples, 'impala_ha_proxy_coordinator_in_flight_requests')).toBe(2 * 2); // the live two only
    expect(pick(samples, 'impala_ha_proxy_client_connections')).toBe(2 * 3);

    counters.remember(3, live[0]!);
    counters.retire(2);
    counters.retire(3);
    expect(counters.retired.find((m) => m.name === 'impala_ha_proxy_requests_total')!.values).toHaveLength(1);
    samples = await exposition([counters.retired]);
    expect(pick(samples, 'impala_ha_proxy_requests_total')).toBe(3 + 4 + 1);
    expect(pick(samples, 'impala_ha_proxy_coordinator_in_flight_requests')).toBe(0);
  });

  it('remembers only the monotonic part of an answer', async () => {
    const counters = new RetiredCounters();
    counters.remember(1, await workerSnapshot(1));
    expect(counters.last(1)!.every(isMonotonic)).toBe(true);
    expect(family(counters.last(1)!, 'requests_total')).toBeDefined();
  });
});
