// One query on a simulated coordinator: its state over time (RUNNING until the statement's
// running time has passed, then FINISHED; CANCELED after CancelOperation), its fetch position,
// and waiting for a state change the way impalad's blocking RPCs do (FetchResults blocks up to
// FETCH_ROWS_TIMEOUT_MS for rows, GetOperationStatus up to LONG_POLLING_TIME_MS for completion).
import { CoordinatorStoppedError } from './faults.ts';
import type { StatementResult } from './statements.ts';

export type QueryState = 'RUNNING' | 'FINISHED' | 'CANCELED';

export interface QueryInit {
  guid: Buffer;
  secret: Buffer;
  sessionGuidHex: string;
  sql: string;
  result: StatementResult;
  /** The query's options as set: session options overlaid with confOverlay (upper-case names). */
  options: ReadonlyMap<string, string>;
  /** Default database and user at submission, for the profile. */
  database: string;
  user: string;
  networkAddress: string | undefined;
  startedAt: number;
}

export class SimulatedQuery {
  readonly id: string;
  readonly guid: Buffer;
  readonly secret: Buffer;
  readonly sessionGuidHex: string;
  readonly sql: string;
  readonly result: StatementResult;
  readonly options: ReadonlyMap<string, string>;
  readonly database: string;
  readonly user: string;
  readonly networkAddress: string | undefined;
  /** ms since epoch. */
  readonly startedAt: number;
  readonly readyAt: number;
  rowsFetched = 0;
  firstFetchAt: number | undefined;
  lastFetchAt: number | undefined;
  /** When it finished or was cancelled. */
  endedAt: number | undefined;
  /** When it was unregistered (CloseOperation, a failed fetch, CloseSession). */
  closedAt: number | undefined;
  #state: QueryState;
  #changed = Promise.withResolvers<void>();

  constructor(init: QueryInit) {
    this.id = init.guid.toString('hex');
    this.guid = init.guid;
    this.secret = init.secret;
    this.sessionGuidHex = init.sessionGuidHex;
    this.sql = init.sql;
    this.result = init.result;
    this.options = init.options;
    this.database = init.database;
    this.user = init.user;
    this.networkAddress = init.networkAddress;
    this.startedAt = init.startedAt;
    this.readyAt = init.startedAt + init.result.runningMs;
    this.#state = init.result.runningMs > 0 ? 'RUNNING' : 'FINISHED';
    if (this.#state === 'FINISHED') this.endedAt = init.startedAt;
  }

  /** The state now (RUNNING becomes FINISHED once the running time has passed). */
  get state(): QueryState {
    if (this.#state === 'RUNNING' && Date.now() >= this.readyAt) {
      this.#state = 'FINISHED';
      this.endedAt = this.readyAt;
    }
    return this.#state;
  }

  get hasResultSet(): boolean {
    return this.result.columns.length > 0;
  }

  /** All rows fetched (impalad's eos): cancelling then changes nothing. */
  get isExhausted(): boolean {
    return this.state === 'FINISHED' && this.rowsFetched >= this.result.rowCount;
  }

  /**
   * CancelInternal: a query still running, or finished with rows left to fetch, ends in the
   * CANCELLED status; one whose rows were all fetched is left alone (ClientRequestState::Cancel
   * skips a query at eos). Idempotent.
   */
  cancel(): void {
    if (this.state === 'CANCELED' || this.isExhausted) return;
    this.#state = 'CANCELED';
    this.endedAt = Date.now();
    this.#notify();
  }

  /** Unregistering a running query cancels it first (ImpalaServer::UnregisterQuery). */
  close(): void {
    if (this.state === 'RUNNING') this.cancel();
    this.closedAt ??= Date.now();
  }

  #notify(): void {
    this.#changed.resolve();
    this.#changed = Promise.withResolvers<void>();
  }

  /**
   * Resolves when the query is no longer RUNNING or after `timeoutMs` (<= 0: at once), whichever
   * comes first; rejects with CoordinatorStoppedError when `signal` aborts (the coordinator stopped).
   */
  async waitWhileRunning(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.state !== 'RUNNING' || timeoutMs <= 0) return;
    if (signal.aborted) throw new CoordinatorStoppedError();
    const waitMs = Math.min(timeoutMs, this.readyAt - Date.now());
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        this.#changed.promise,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, waitMs)))),
        new Promise<never>((_resolve, reject) => {
          onAbort = () => reject(new CoordinatorStoppedError());
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }
}
