// A worker's side of the sync channel: the one writer of its replicas — the registry's health,
// quiescing and operator overrides (through its HealthMonitor, which tells this worker's listeners
// of each transition), the session map, the other workers' connection counts — and the reporter of
// what only this worker sees (its TCP connection counts, the sessions its requests used).
import type { HealthMonitor } from '../upstream/health-monitor.ts';
import type { CoordinatorRegistry } from '../upstream/registry.ts';
import type { SessionMap } from '../hs2/session-map.ts';
import { sweepIntervalMs } from '../hs2/session-map.ts';
import { connectionReportMs, sameCounts } from './peer-counts.ts';
import type { ConnectionCounts, Outbox, SharedState, StartMessage, ToPrimary, ToWorker } from './protocol.ts';

export interface Replicas {
  readonly registry: CoordinatorRegistry;
  readonly monitor: HealthMonitor;
  readonly sessions: SessionMap;
}

/** What the sync channel applies as it comes; the rest (asks, reloads, shutdown) is worker.ts's. */
export type StateMessage = Extract<ToWorker, { type: 'health' | 'quiescing' | 'override' | 'session-learned' | 'session-forgotten' | 'sessions-purged' | 'peer-connections' }>;

export class WorkerSync {
  readonly #replicas: Replicas;
  readonly #outbox: Outbox<ToPrimary>;
  /** An operator disabled a coordinator: the worker closes its TCP connections there. */
  readonly #onOverride: () => void;
  #reportedCounts: ConnectionCounts = {};
  #countsTimer: NodeJS.Timeout | undefined;
  readonly #touchTimer: NodeJS.Timeout;
  #touchedSinceMs = Date.now();
  #isClosed = false;

  constructor(replicas: Replicas, outbox: Outbox<ToPrimary>, idleTtlMs: number, onOverride: () => void) {
    this.#replicas = replicas;
    this.#outbox = outbox;
    this.#onOverride = onOverride;
    this.#touchTimer = setInterval(() => this.#reportTouched(), sweepIntervalMs(idleTtlMs) / 2);
    this.#touchTimer.unref();
  }

  /** The state a worker starts from (before its first generation is built, so that it serves with it). */
  applyStart(start: StartMessage): void {
    const { registry, sessions } = this.#replicas;
    registry.rememberNames(start.state.everConfigured);
    for (const { name } of start.state.coordinators) registry.obtain(name);
    this.applyState(start.state);
    for (const [key, coordinator] of start.sessions) sessions.learn(key, coordinator);
    this.#applyPeers(start.peerConnections);
  }

  /** The primary's registry after a reload (health reset for moved coordinators, overrides reconciled). */
  applyState(state: SharedState): void {
    const { registry, monitor } = this.#replicas;
    for (const shared of state.coordinators) {
      if (registry.get(shared.name) === undefined) continue;
      monitor.applyHealth(shared.name, shared.health, undefined);
      monitor.applyQuiescing(shared.name, shared.isQuiescing);
      registry.setOperatorOverride(shared.name, shared.override);
    }
  }

  apply(message: StateMessage): void {
    const { registry, monitor, sessions } = this.#replicas;
    switch (message.type) {
      case 'health':
        monitor.applyHealth(message.coordinator, message.machine, message.change);
        return;
      case 'quiescing':
        monitor.applyQuiescing(message.coordinator, message.isQuiescing);
        return;
      case 'override':
        registry.setOperatorOverride(message.coordinator, message.override);
        this.#onOverride();
        return;
      case 'session-learned':
        sessions.learn(message.key, message.coordinator);
        return;
      case 'session-forgotten':
        sessions.forget(message.key);
        return;
      case 'sessions-purged':
        sessions.forgetCoordinator(message.coordinator);
        return;
      case 'peer-connections':
        this.#applyPeers(message.counts);
        return;
    }
  }

  #applyPeers(counts: ConnectionCounts): void {
    for (const state of this.#replicas.registry.states()) state.peerConnections = counts[state.name] ?? 0;
  }

  /** This worker's TCP connections changed: the primary hears of it within connectionReportMs. */
  connectionsChanged(): void {
    if (this.#countsTimer !== undefined || this.#isClosed) return;
    this.#countsTimer = setTimeout(() => {
      this.#countsTimer = undefined;
      const counts: Record<string, number> = {};
      for (const state of this.#replicas.registry.states()) if (state.connections.size > 0) counts[state.name] = state.connections.size;
      if (sameCounts(counts, this.#reportedCounts)) return;
      this.#reportedCounts = counts;
      this.#outbox.push({ type: 'connections', counts });
    }, connectionReportMs);
    this.#countsTimer.unref();
  }

  #reportTouched(): void {
    const now = Date.now();
    const keys = this.#replicas.sessions.touchedSince(this.#touchedSinceMs);
    this.#touchedSinceMs = now;
    if (keys.length > 0) this.#outbox.push({ type: 'sessions-touched', keys });
  }

  close(): void {
    this.#isClosed = true;
    clearInterval(this.#touchTimer);
    clearTimeout(this.#countsTimer);
  }
}
