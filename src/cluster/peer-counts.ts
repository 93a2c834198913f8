// Least-connections across workers: each worker counts its own TCP connections per coordinator
// exactly (CoordinatorState.connections) and needs the others' to add to them. Workers report
// their counts when they change (at most every connectionReportMs); the primary keeps the latest
// table of each and sends every worker the sum over the *other* workers. Excluding the recipient
// keeps its own count exact and current: adding its own stale report to a total would count its
// newest connections twice, or closed ones still. The cost is a report per 100 ms of TCP connect
// churn per worker, and nothing per RPC; the price is that a burst of connects within 100 ms is
// balanced by each worker over its own share, which still spreads the burst evenly.
import type { ConnectionCounts } from './protocol.ts';

/** How often a worker may report its counts. */
export const connectionReportMs = 100;

/** The sum of every table but `self`'s (zero counts left out). */
export function peerCounts(tables: ReadonlyMap<number, ConnectionCounts>, self: number | undefined): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const [id, counts] of tables) {
    if (id === self) continue;
    for (const [name, count] of Object.entries(counts)) if (count > 0) sum[name] = (sum[name] ?? 0) + count;
  }
  return sum;
}

export function sameCounts(a: ConnectionCounts, b: ConnectionCounts): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => a[key] === b[key]);
}
