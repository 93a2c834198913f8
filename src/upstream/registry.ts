// Process lifetime: what the proxy knows about each coordinator, keyed by its name (DESIGN §2
// "Lifetimes", STYLE rule 11). A config generation's Coordinator objects are wiring that point here,
// so a reload copies nothing: a coordinator that stays configured keeps its entry, and requests of
// every generation that wait on it are in one set. Cf. Caddy's process-wide upstream host pool.
//
// Each field has one writer, named at the field. Readers (routing, status, metrics) only read.
// With workers (src/cluster/), the primary's registry is the one its HealthMonitor and admin API
// write; a worker's entries are replicas, and the writer of each shared field there is the sync
// channel (src/cluster/worker-sync.ts), through the same methods.
import type { OperatorState } from '../config/schema.ts';
import { initialHealth, type HealthMachine } from './health-machine.ts';

export interface ProbeResult {
  readonly isUp: boolean;
  readonly detail: string;
  readonly atMs: number;
  readonly durationMs: number;
}

/** An operator's drain/enable/disable. */
export interface OperatorOverride {
  readonly state: OperatorState;
  /**
   * The config's `state` when the operator acted: once a reloaded config says something else for
   * this coordinator, the config wins and the override no longer applies.
   */
  readonly configState: OperatorState;
  readonly atMs: number;
}

/** A request that can be moved off a coordinator that was marked down. */
export interface InFlight {
  readonly rpc: string | undefined;
  failover(reason: string): void;
}

/** A client's TCP connection carried by a coordinator (binary HS2, Beeswax). */
export interface CarriedConnection {
  /** Closes both sides: the coordinator was marked down or disabled, or the proxy shuts down. */
  shutDown(reason: 'coordinator-down' | 'disabled'): void;
}

/** What a registry tells its owner about; all optional. */
export interface RegistryObserver {
  /** A coordinator's TCP connections of this process changed (workers share the counts: src/cluster/). */
  readonly onConnectionsChange?: (name: string) => void;
}

export class CoordinatorState {
  readonly name: string;
  /** Writer: HealthMonitor (in a worker: HealthMonitor.applyHealth, called by the sync channel). */
  health: HealthMachine;
  /** Writer: HealthMonitor (from /backends?json; in a worker: applyQuiescing). impalad is shutting down gracefully: drain it. */
  isQuiescing = false;
  /** Writer: HealthMonitor. Not replicated: only the process that probes reads it. */
  lastProbe: ProbeResult | undefined;
  /** Writer: CoordinatorRegistry (setOperatorOverride for the admin API or the sync channel, reconcile on reload). */
  operatorOverride: OperatorOverride | undefined;
  /** Requests of any generation waiting on or streaming from this coordinator; writer: track/untrack. */
  readonly inFlight = new Set<InFlight>();
  /** TCP connections of every listener of this process, connecting or open; writer: attach/detach. */
  readonly connections = new Set<CarriedConnection>();
  /** TCP connections the other workers carry to it (0 with one process); writer: the sync channel. */
  peerConnections = 0;
  #pendingOpens = 0;
  readonly #sessionCount: (name: string) => number;
  readonly #observer: RegistryObserver;

  constructor(name: string, sessionCount: (name: string) => number, nowMs: number, observer: RegistryObserver = {}) {
    this.name = name;
    this.health = initialHealth(nowMs);
    this.#sessionCount = sessionCount;
    this.#observer = observer;
  }

  /** TCP connections to it from every worker (least-connections reads this). */
  get connectionCount(): number {
    return this.connections.size + this.peerConnections;
  }

  /** Open HS2 sessions learned from OpenSession/CloseSession replies (the session map counts them). */
  get sessions(): number {
    return this.#sessionCount(this.name);
  }

  /** OpenSession requests sent here whose reply has not arrived yet (least-sessions counts them too). */
  get pendingOpens(): number {
    return this.#pendingOpens;
  }

  track(request: InFlight): void {
    this.inFlight.add(request);
    if (request.rpc === 'OpenSession') this.#pendingOpens += 1;
  }

  /** Returns false when the request was not tracked (already untracked). */
  untrack(request: InFlight): boolean {
    if (!this.inFlight.delete(request)) return false;
    if (request.rpc === 'OpenSession') this.#pendingOpens -= 1;
    return true;
  }

  attach(connection: CarriedConnection): void {
    this.connections.add(connection);
    this.#observer.onConnectionsChange?.(this.name);
  }

  detach(connection: CarriedConnection): boolean {
    if (!this.connections.delete(connection)) return false;
    this.#observer.onConnectionsChange?.(this.name);
    return true;
  }

  /** The operator state in force, given the config's. */
  operatorState(configState: OperatorState): OperatorState {
    return this.operatorOverride?.state ?? configState;
  }
}

export class CoordinatorRegistry {
  readonly #states = new Map<string, CoordinatorState>();
  /** Every name any generation had: their tokens keep resolving, so such pins re-pin as `removed`. */
  readonly #everConfigured = new Set<string>();
  readonly #sessionCount: (name: string) => number;
  readonly #observer: RegistryObserver;

  constructor(sessionCount: (name: string) => number, observer: RegistryObserver = {}) {
    this.#sessionCount = sessionCount;
    this.#observer = observer;
  }

  /** The entry for a configured name, made on first use. */
  obtain(name: string): CoordinatorState {
    let state = this.#states.get(name);
    if (state === undefined) {
      this.#states.set(name, (state = new CoordinatorState(name, this.#sessionCount, Date.now(), this.#observer)));
      this.#everConfigured.add(name);
    }
    return state;
  }

  get(name: string): CoordinatorState | undefined {
    return this.#states.get(name);
  }

  /**
   * After a reload swapped in a generation: entries of names it no longer has are dropped once
   * nothing uses them (a later reload drops what was still in use this time). A TCP connection to
   * a removed coordinator lives on, so its entry, and its count for least-connections if the name
   * comes back, stays with it.
   */
  retain(names: ReadonlySet<string>): void {
    for (const [name, state] of this.#states) {
      if (!names.has(name) && state.inFlight.size === 0 && state.connections.size === 0) this.#states.delete(name);
    }
  }

  /** Every name ever configured in this process, for the token table. */
  get everConfigured(): ReadonlySet<string> {
    return this.#everConfigured;
  }

  /** A worker started after a reload removed a coordinator still knows its name (the primary's list). */
  rememberNames(names: Iterable<string>): void {
    for (const name of names) this.#everConfigured.add(name);
  }

  /** Every entry, for the state a worker starts from. */
  states(): IterableIterator<CoordinatorState> {
    return this.#states.values();
  }

  /** `undefined` lifts the override (a worker's sync channel replays the primary's reconcile). */
  setOperatorOverride(name: string, override: OperatorOverride | undefined): void {
    const state = this.#states.get(name);
    if (state !== undefined) state.operatorOverride = override;
  }

  /**
   * A reloaded config that says something else for a coordinator's `state` than it did when the
   * operator acted wins: the override has done its job and is dropped, for good.
   */
  reconcileOverrides(coordinators: readonly { readonly name: string; readonly state: OperatorState }[]): void {
    for (const { name, state: configState } of coordinators) {
      const state = this.#states.get(name);
      if (state?.operatorOverride !== undefined && state.operatorOverride.configState !== configState) state.operatorOverride = undefined;
    }
  }
}
