// What the primary and its workers tell each other over the cluster IPC channel (server.workers > 1).
//
// The primary owns the process-lifetime state (DESIGN §2, §11): health, quiescing, operator
// overrides and the learned-session map. Every change goes to every worker at once, in the order it
// was made; a worker applies it to its replicas and never writes them otherwise. Workers own their
// connections and requests: what those teach (passive health evidence, sessions opened and closed,
// TCP connections carried) goes to the primary, which decides and shares.
//
// Nothing here is on the path of an RPC that keeps its pin: the messages come from OpenSession and
// CloseSession replies, failures, TCP connects and ends, operator and health events, reloads, and
// /status and /metrics scrapes. Messages are batched per event-loop turn (Outbox), so a burst of
// them costs one IPC write per peer.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Config } from '../config/schema.ts';
import type { ErrorCode } from '../errors.ts';
import type { RawHistory, RecentWindow } from '../metrics/recent-requests.ts';
import type { HealthMachine, HealthState } from '../upstream/health-machine.ts';
import type { OperatorOverride } from '../upstream/registry.ts';

/** What the primary knows of one coordinator and shares. */
export interface SharedCoordinator {
  readonly name: string;
  readonly health: HealthMachine;
  readonly isQuiescing: boolean;
  readonly override: OperatorOverride | undefined;
}

/** The primary's registry as a worker replicates it, at start and with each reload. */
export interface SharedState {
  readonly coordinators: readonly SharedCoordinator[];
  /** Names of every generation so far: pins to a removed coordinator re-pin as `removed` in a new worker too. */
  readonly everConfigured: readonly string[];
}

/** Open TCP connections per coordinator name. */
export type ConnectionCounts = Readonly<Record<string, number>>;

export interface StartMessage {
  readonly type: 'start';
  readonly config: Config;
  readonly generation: number;
  /** The primary's random cookie secret (no cookie.secrets configured): every worker signs with it. */
  readonly randomSecret: string | undefined;
  readonly logLevel: Config['log']['level'];
  readonly state: SharedState;
  readonly sessions: readonly (readonly [key: string, coordinator: string])[];
  /** Connections the other workers carry now. */
  readonly peerConnections: ConnectionCounts;
}

/** Questions the primary asks a worker; each gets one reply (or none before the deadline). */
export type Question =
  | { readonly kind: 'status'; readonly nowMs: number }
  | { readonly kind: 'metrics' }
  /** Answered once every message sent before it was applied (the channel keeps order). */
  | { readonly kind: 'barrier' }
  /** Build generation `generation` from `config` and keep it ready; a `reload-commit` swaps it in. */
  | { readonly kind: 'reload-prepare'; readonly config: Config; readonly generation: number; readonly randomSecret: string | undefined };

export type Answer<Q extends Question['kind']> = Q extends 'status'
  ? WorkerReport
  : Q extends 'metrics'
    ? MetricObjectWithValues<MetricValue<string>>[]
    : Q extends 'barrier'
      ? true
      : { readonly error?: string };

export type ToWorker =
  | StartMessage
  /** A transition (`change`), or a reset after a reload pointed the name elsewhere (no `change`). */
  | { readonly type: 'health'; readonly coordinator: string; readonly machine: HealthMachine; readonly change?: { readonly from: HealthState; readonly to: HealthState; readonly reason: string } }
  | { readonly type: 'quiescing'; readonly coordinator: string; readonly isQuiescing: boolean }
  | { readonly type: 'override'; readonly coordinator: string; readonly override: OperatorOverride | undefined }
  | { readonly type: 'session-learned'; readonly key: string; readonly coordinator: string }
  | { readonly type: 'session-forgotten'; readonly key: string }
  /** The coordinator went down or was removed: its sessions are gone. */
  | { readonly type: 'sessions-purged'; readonly coordinator: string }
  | { readonly type: 'peer-connections'; readonly counts: ConnectionCounts }
  | { readonly type: 'ask'; readonly id: number; readonly question: Question }
  /** Swap in the prepared generation, with the registry as the primary left it after its own swap. */
  | { readonly type: 'reload-commit'; readonly generation: number; readonly state: SharedState }
  | { readonly type: 'reload-abort'; readonly generation: number }
  /** Finish in-flight requests (server.shutdownTimeoutMs), then exit. */
  | { readonly type: 'shutdown' };

/** Where a worker's listeners are bound (the primary's /status shows TCP listener addresses). */
export interface BoundListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export type ToPrimary =
  /** The worker listens for messages: send it `start`. */
  | { readonly type: 'hello' }
  | { readonly type: 'started'; readonly tcpListeners: readonly BoundListener[] }
  /** Could not start: `line` is what the operator reads (a ListenError names the listener). */
  | { readonly type: 'start-failed'; readonly line: string; readonly exitCode: number }
  /** Passive evidence from one of its requests or TCP connects (failover.ts isEvidence already applied). */
  | { readonly type: 'failure'; readonly coordinator: string; readonly code: ErrorCode; readonly detail: string }
  | { readonly type: 'session-opened'; readonly key: string; readonly coordinator: string }
  | { readonly type: 'session-closed'; readonly key: string }
  /** Sessions its requests used since the last report (the owner's idle sweep spares them). */
  | { readonly type: 'sessions-touched'; readonly keys: readonly string[] }
  /** Its TCP connections per coordinator, when they changed (at most every connectionReportMs). */
  | { readonly type: 'connections'; readonly counts: ConnectionCounts }
  | { readonly type: 'reply'; readonly id: number; readonly value: unknown };

/** A worker's figures for the primary's /status. */
export interface WorkerReport {
  readonly generation: number;
  readonly learnedSessions: number;
  readonly clientConnections: number;
  readonly coordinators: Readonly<Record<string, { readonly inFlight: number; readonly window: RecentWindow; readonly history: RawHistory }>>;
  /** Open connections per TCP listener name, per coordinator. */
  readonly tcpListeners: Readonly<Record<string, ConnectionCounts>>;
  /** What it counts for the other workers' TCP connections (least-connections adds them to its own). */
  readonly peerConnections: ConnectionCounts;
}

/** Every IPC message of ours is one of these; anything else on the channel (Node's own) is not ours. */
export interface Envelope<M> {
  readonly impalaHaProxy: readonly M[];
}

export function isEnvelope<M>(value: unknown): value is Envelope<M> {
  return typeof value === 'object' && value !== null && Array.isArray((value as { impalaHaProxy?: unknown }).impalaHaProxy);
}

/**
 * Messages to one peer, sent together at the end of the event-loop turn in which they were made, in
 * order. `send` gets each batch; it is not called once the peer is gone.
 */
export class Outbox<M> {
  readonly #send: (envelope: Envelope<M>) => void;
  #queue: M[] = [];
  #isScheduled = false;
  readonly #onSent: ((count: number) => void) | undefined;
  readonly #flush = (): void => {
    this.#isScheduled = false;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    this.#send({ impalaHaProxy: batch });
    this.#onSent?.(batch.length);
  };

  /** `onSent`: how many messages went out (cluster_messages_total). */
  constructor(send: (envelope: Envelope<M>) => void, onSent?: (count: number) => void) {
    this.#send = send;
    this.#onSent = onSent;
  }

  push(message: M): void {
    this.#queue.push(message);
    if (this.#isScheduled) return;
    this.#isScheduled = true;
    setImmediate(this.#flush);
  }

  /** Sends what is queued now (before an exit). */
  flush(): void {
    this.#flush();
  }
}
