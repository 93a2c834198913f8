// What /status shows, as data: the HTML page and /status?format=json render this one object, so
// the two can never disagree. With workers, the primary fills in each coordinator's traffic from
// every worker's figures (src/cluster/status-merge.ts) and lists the workers themselves.
import type { ProxyMetrics } from '../metrics/metrics.ts';
import type { RecentSummary, RequestHistory } from '../metrics/recent-requests.ts';
import type { Coordinator } from '../upstream/coordinator.ts';

export interface CoordinatorStatus {
  readonly index: number;
  readonly name: string;
  readonly address: string;
  readonly health: 'up' | 'down';
  readonly operatorState: 'enabled' | 'draining' | 'disabled';
  readonly isQuiescing: boolean;
  readonly isAvailable: boolean;
  /** ISO time of the last health or operator state change. */
  readonly since: string;
  readonly reason: string;
  readonly sessions: number;
  readonly inFlight: number;
  readonly requestsPerSec: number;
  /** Failed requests in the last minute. */
  readonly errors: number;
  readonly p99Ms: number | null;
  /** Req/s, errors and p99 of the last ten minutes in 10 s buckets (the status page's charts). */
  readonly history: RequestHistory;
  readonly lastCheck: { readonly isUp: boolean; readonly detail: string; readonly at: string; readonly durationMs: number } | null;
  readonly ui: string;
}

export interface StatusSnapshot {
  readonly service: 'impala-ha-proxy';
  readonly version: string;
  readonly generatedAt: string;
  readonly startedAt: string;
  readonly reloadedAt: string | null;
  readonly generation: number;
  readonly isReady: boolean;
  readonly windowSec: number;
  readonly coordinators: readonly CoordinatorStatus[];
  readonly tcpListeners: readonly TcpListenerStatus[];
  /** With server.workers > 1: one row per worker process. Absent with one process. */
  readonly workers?: readonly WorkerStatus[];
}

export interface WorkerStatus {
  /** The cluster worker id (the access lines' `worker`); a replacement gets a new one. */
  readonly id: number;
  readonly pid: number;
  readonly startedAt: string;
  /** starting: forked, not serving yet; stopping: draining at shutdown. */
  readonly state: 'starting' | 'serving' | 'stopping';
  /** Did it answer the primary in time? When not, its figures are missing from this snapshot. */
  readonly isAnswering: boolean;
  /** The config generation it serves. */
  readonly generation: number | null;
  readonly requestsPerSec: number | null;
  readonly inFlight: number | null;
  /** Entries of its replica of the session map (equal to the primary's once it caught up). */
  readonly learnedSessions: number | null;
  /** Open client connections, all listeners (HTTPS/HTTP and TCP). */
  readonly clientConnections: number | null;
  /** TCP connections per coordinator that it counts for the other workers (least-connections adds its own). */
  readonly peerTcpConnections: Readonly<Record<string, number>> | null;
}

/** A coordinator's traffic: this process's, or with workers the sum over them. */
export interface CoordinatorTraffic {
  readonly inFlight: number;
  readonly recent: RecentSummary;
  readonly history: RequestHistory;
}

export interface TcpListenerStatus {
  readonly name: string;
  readonly address: string;
  readonly coordinatorPort: 'hs2Port' | 'beeswaxPort';
  readonly tls: string;
  readonly policy: string;
  /** Open connections, all coordinators. */
  readonly open: number;
  /** Open connections per coordinator name. */
  readonly byCoordinator: Readonly<Record<string, number>>;
}

/** What the status page needs from a TCP listener. */
export interface TcpListenerSource {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  settings(): { readonly coordinatorPort: 'hs2Port' | 'beeswaxPort'; readonly tls: string; readonly policy: string };
  openByCoordinator(): ReadonlyMap<string, number>;
}

export interface StatusSource {
  readonly version: string;
  readonly startedAtMs: number;
  coordinators(): readonly Coordinator[];
  generation(): { readonly number: number; readonly loadedAtMs: number };
  traffic(coordinator: Coordinator, nowMs: number): CoordinatorTraffic;
  tcpListeners(): readonly TcpListenerSource[];
  workers?(): readonly WorkerStatus[];
}

/** One process's traffic figures, from its metrics. */
export function localTraffic(metrics: ProxyMetrics): (coordinator: Coordinator, nowMs: number) => CoordinatorTraffic {
  return (coordinator, nowMs) => {
    const recent = metrics.series(coordinator.name).recent;
    return { inFlight: coordinator.inFlight.size, recent: recent.summarize(nowMs), history: recent.history.series(nowMs) };
  };
}

export function takeStatusSnapshot(source: StatusSource, nowMs = Date.now()): StatusSnapshot {
  const generation = source.generation();
  const coordinators = source.coordinators().map((c): CoordinatorStatus => {
    const { inFlight, recent, history } = source.traffic(c, nowMs);
    const probe = c.lastProbe;
    const operatorAt = c.state.operatorOverride?.atMs;
    const sinceMs = operatorAt !== undefined && operatorAt > c.healthSince ? operatorAt : c.healthSince;
    return {
      index: c.index,
      name: c.name,
      address: `${c.config.host}:${c.config.hs2HttpPort}`,
      health: c.health,
      operatorState: c.operatorState,
      isQuiescing: c.isQuiescing,
      isAvailable: c.isAvailable,
      since: new Date(sinceMs).toISOString(),
      reason: c.healthReason,
      sessions: c.sessions,
      inFlight,
      requestsPerSec: recent.requestsPerSec,
      errors: recent.errors,
      p99Ms: recent.p99Ms,
      history,
      lastCheck: probe === undefined ? null : { isUp: probe.isUp, detail: probe.detail, at: new Date(probe.atMs).toISOString(), durationMs: probe.durationMs },
      ui: `/ui/${c.index}/`,
    };
  });
  return {
    service: 'impala-ha-proxy',
    version: source.version,
    generatedAt: new Date(nowMs).toISOString(),
    startedAt: new Date(source.startedAtMs).toISOString(),
    reloadedAt: generation.number > 1 ? new Date(generation.loadedAtMs).toISOString() : null,
    generation: generation.number,
    isReady: coordinators.some((c) => c.isAvailable),
    windowSec: 60,
    coordinators,
    tcpListeners: source.tcpListeners().map((listener): TcpListenerStatus => {
      const settings = listener.settings();
      const byCoordinator = Object.fromEntries(listener.openByCoordinator());
      return {
        name: listener.name,
        address: `${listener.host}:${listener.port}`,
        coordinatorPort: settings.coordinatorPort,
        tls: settings.tls,
        policy: settings.policy,
        open: Object.values(byCoordinator).reduce((sum, open) => sum + open, 0),
        byCoordinator,
      };
    }),
    ...(source.workers !== undefined && { workers: source.workers() }),
  };
}
