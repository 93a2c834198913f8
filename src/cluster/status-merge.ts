// The primary's /status with workers: per coordinator, the requests in flight, the last minute's
// rate, errors and p99, and the ten-minute charts cover every worker that answered. Rates and counts
// add up; the p99 is taken over all workers' durations (not an average of their p99s); the charts'
// latency bins are added bucket by bucket (the primary asks every worker with its own `nowMs`, so
// buckets line up).
import { historyOf, RequestHistoryRing, summarizeWindows, type RecentWindow } from '../metrics/recent-requests.ts';
import type { CoordinatorTraffic } from '../status/snapshot.ts';
import type { ConnectionCounts, WorkerReport } from './protocol.ts';

export interface MergedReports {
  traffic(coordinator: string): CoordinatorTraffic;
  /** Open connections of a TCP listener, per coordinator, over every worker. */
  tcpOpen(listener: string): Record<string, number>;
}

export function mergeReports(reports: readonly WorkerReport[], nowMs: number): MergedReports {
  const empty = new RequestHistoryRing().raw(nowMs);
  return {
    traffic(coordinator) {
      const parts = reports.flatMap((report) => report.coordinators[coordinator] ?? []);
      const windows: RecentWindow[] = parts.map((part) => part.window);
      return {
        inFlight: parts.reduce((sum, part) => sum + part.inFlight, 0),
        recent: summarizeWindows(windows),
        history: historyOf(parts.length > 0 ? parts.map((part) => part.history) : [empty]),
      };
    },
    tcpOpen(listener) {
      const sum: Record<string, number> = {};
      for (const report of reports) {
        const counts: ConnectionCounts = report.tcpListeners[listener] ?? {};
        for (const [name, count] of Object.entries(counts)) sum[name] = (sum[name] ?? 0) + count;
      }
      return sum;
    },
  };
}

/** A worker's own request rate over the last minute, all coordinators. */
export function workerRequestsPerSec(report: WorkerReport): number {
  let rate = 0;
  for (const part of Object.values(report.coordinators)) rate += part.window.requestsPerSec;
  return Math.round(rate * 100) / 100;
}

export function workerInFlight(report: WorkerReport): number {
  let count = 0;
  for (const part of Object.values(report.coordinators)) count += part.inFlight;
  return count;
}
