// The pure parts of server.workers: what the primary adds up from its workers (connection counts,
// status figures, metrics), the worker count, and the order and batching of IPC messages.
import { AggregatorRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { peerCounts, sameCounts } from '../../src/cluster/peer-counts.ts';
import { Outbox, type Envelope, type WorkerReport } from '../../src/cluster/protocol.ts';
import { mergeReports, workerInFlight, workerRequestsPerSec } from '../../src/cluster/status-merge.ts';
import { workerCount } from '../../src/cluster/worker-count.ts';
import type { Outcome } from '../../src/hs2/outcome.ts';
import { ProxyMetrics, type MetricsSource } from '../../src/metrics/metrics.ts';
import { RecentRequests } from '../../src/metrics/recent-requests.ts';
import type { Coordinator } from '../../src/upstream/coordinator.ts';

describe('peerCounts', () => {
  const tables = new Map<number, Record<string, number>>([
    [1, { a: 2, b: 1 }],
    [2, { a: 1 }],
    [3, { b: 0, c: 4 }],
  ]);

  it('sums every worker but the one it is for', () => {
    expect(peerCounts(tables, 1)).toEqual({ a: 1, c: 4 });
    expect(peerCounts(tables, 2)).toEqual({ a: 2, b: 1, c: 4 });
    expect(peerCounts(tables, 3)).toEqual({ a: 3, b: 1 });
    // A new worker (no table yet) counts everyone's.
    expect(peerCounts(tables, undefined)).toEqual({ a: 3, b: 1, c: 4 });
    expect(peerCounts(new Map(), 1)).toEqual({});
  });

  it('sameCounts compares by coordinator, whatever the key order', () => {
    expect(sameCounts({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(sameCounts({ a: 1 }, { a: 1, b: 0 })).toBe(false);
    expect(sameCounts({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameCounts({}, {})).toBe(true);
  });
});

describe('mergeReports', () => {
  const now = Date.parse('2026-05-01T12:00:05.000Z');
  function report(durations: number[], inFlight: number, tcp: Record<string, number>): WorkerReport {
    const recent = new RecentRequests();
    durations.forEach((ms, i) => recent.record(now - 1_000 - i, ms, ms > 100));
    return {
      generation: 1,
      learnedSessions: 0,
      clientConnections: 0,
      coordinators: { c1: { inFlight, window: recent.window(now), history: recent.history.raw(now) } },
      tcpListeners: { hs2: tcp },
      peerConnections: {},
    };
  }

  it('adds up requests in flight, rates, errors and TCP connections; p99 over every worker', () => {
    const a = report([1, 2, 3], 2, { c1: 1, c2: 3 });
    const b = report([500], 1, { c1: 2 });
    const merged = mergeReports([a, b], now);
    const traffic = merged.traffic('c1');
    expect(traffic.inFlight).toBe(3);
    expect(traffic.recent).toEqual({ requestsPerSec: 0.07, errors: 1, p99Ms: 500 });
    expect(traffic.history.requestsPerSec.at(-1)).toBe(0.8); // 4 requests in the 5 s of the bucket in progress
    expect(traffic.history.errors.at(-1)).toBe(1);
    expect(merged.tcpOpen('hs2')).toEqual({ c1: 3, c2: 3 });
    expect(workerInFlight(a)).toBe(2);
    expect(workerRequestsPerSec(a)).toBe(0.05);
  });

  it('a coordinator no worker reported has no traffic, and a chart of empty buckets', () => {
    const traffic = mergeReports([], now).traffic('c9');
    expect(traffic.inFlight).toBe(0);
    expect(traffic.recent).toEqual({ requestsPerSec: 0, errors: 0, p99Ms: null });
    expect(traffic.history.requestsPerSec.every((rate) => rate === 0)).toBe(true);
    expect(mergeReports([], now).tcpOpen('hs2')).toEqual({});
  });
});

describe('workerCount', () => {
  it('is the number configured, or one per core for auto', () => {
    expect(workerCount(1)).toBe(1);
    expect(workerCount(6, 2)).toBe(6);
    expect(workerCount('auto', 8)).toBe(8);
    expect(workerCount('auto', 0)).toBe(1);
  });
});

describe('Outbox', () => {
  it('sends what was pushed in one event-loop turn as one batch, in order', async () => {
    const sent: Envelope<number>[] = [];
    const outbox = new Outbox<number>((envelope) => sent.push(envelope));
    outbox.push(1);
    outbox.push(2);
    outbox.push(3);
    expect(sent).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([{ impalaHaProxy: [1, 2, 3] }]);
    outbox.push(4);
    outbox.flush();
    expect(sent.at(-1)).toEqual({ impalaHaProxy: [4] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(2); // nothing left for the scheduled flush
  });
});

describe('metrics across processes', () => {
  const coordinator = (name: string, health: 'up' | 'down') =>
    ({ name, health, operatorState: 'enabled', isQuiescing: false, sessions: 2, inFlight: new Set([1]), pool: { stats: { connected: 1, free: 1, pending: 0 } } }) as unknown as Coordinator;
  const source = (coordinators: Coordinator[]): MetricsSource => ({
    coordinators: () => coordinators,
    learnedSessions: () => 4,
    clientConnections: async () => new Map([['https', 3]]),
    tcpListeners: () => [],
  });
  const outcome = { rpc: 'OpenSession', verdict: 'new', servedBy: 'c1', status: 200, attempts: [{ coordinator: 'c1', ms: 1, error: undefined }], totalMs: 2, upstreamMs: 1, bytesIn: 10, bytesOut: 20 } as unknown as Outcome;

  it("sums the workers' traffic; health and sessions come from the primary alone", async () => {
    const coordinators = [coordinator('c1', 'up'), coordinator('c2', 'down')];
    const primary = new ProxyMetrics(source(coordinators), 'primary');
    const workers = [new ProxyMetrics(source(coordinators), 'worker'), new ProxyMetrics(source(coordinators), 'worker')];
    workers[0]!.observe(outcome);
    workers[1]!.observe(outcome);
    workers[1]!.observe(outcome);
    primary.countHealthChange('c2', 'down');
    const text = await AggregatorRegistry.aggregate(await Promise.all([primary, ...workers].map((m) => m.registry.getMetricsAsJSON()))).metrics();
    const value = (series: string) => text.split('\n').find((line) => line.startsWith(series))?.split(' ').at(-1);
    expect(value('impala_ha_proxy_requests_total{coordinator="c1",method="OpenSession",status_class="2xx"}')).toBe('3');
    expect(value('impala_ha_proxy_coordinator_up{coordinator="c1"}')).toBe('1');
    expect(value('impala_ha_proxy_coordinator_up{coordinator="c2"}')).toBe('0');
    expect(value('impala_ha_proxy_coordinator_sessions{coordinator="c1"}')).toBe('2');
    expect(value('impala_ha_proxy_learned_sessions')).toBe('4');
    expect(value('impala_ha_proxy_health_changes_total{coordinator="c2",health="down"}')).toBe('1');
    // Live state of each worker adds up: one request in flight each, three connections each.
    expect(value('impala_ha_proxy_coordinator_in_flight_requests{coordinator="c1"}')).toBe('2');
    expect(value('impala_ha_proxy_client_connections{listener="https"}')).toBe('6');
    for (const metrics of [primary, ...workers]) metrics.close();
  });

  it('one process reports everything itself', async () => {
    const single = new ProxyMetrics(source([coordinator('c1', 'up')]));
    single.observe(outcome);
    const text = await single.exposition();
    expect(text).toContain('impala_ha_proxy_coordinator_up{coordinator="c1"} 1');
    expect(text).toContain('impala_ha_proxy_requests_total{coordinator="c1",method="OpenSession",status_class="2xx"} 1');
    expect(text).toContain('impala_ha_proxy_client_connections{listener="https"} 3');
    single.close();
  });
});
