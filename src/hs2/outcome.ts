// The end of every hs2 request, as one record: who served it, where the client is pinned now, how
// it was routed, what it cost, what failed. Every request ends in exactly one, the proxy's own
// 400/405/408/503 answers included; the access log, the metrics and the session map read only this.
import type { ErrorCode, ProxyError } from '../errors.ts';
import type { Verdict } from './route.ts';

/** Why a client was moved to another coordinator. */
export type RepinReason = 'down' | 'disabled' | 'removed' | 'draining' | 'failover';

/** One dispatch of the request to one coordinator. A request has at most two (one replay). */
export interface AttemptRecord {
  readonly coordinator: string;
  /** Time from dispatch to the end of this attempt. */
  readonly ms: number;
  /** undefined: this attempt produced the response. */
  readonly error: ErrorCode | undefined;
}

export interface Outcome {
  /** Thrift method; undefined when the request was refused before the body was read or parsed. */
  readonly rpc: string | undefined;
  readonly client: string;
  /** How the coordinator was chosen; undefined when the proxy refused the request before routing. */
  readonly verdict: Verdict | undefined;
  readonly repin: RepinReason | undefined;
  /** The coordinator whose response the client received; undefined when the proxy answered itself. */
  readonly servedBy: string | undefined;
  /** The coordinator a Set-Cookie in this response pins the client to; undefined when none was sent. */
  readonly pinnedTo: string | undefined;
  /** HTTP status sent; 0 when no response head went out (the client left, the connection was cut). */
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly totalMs: number;
  /** Time spent waiting on coordinators, all attempts; the rest of totalMs is the proxy's own. */
  readonly upstreamMs: number;
  readonly attempts: readonly AttemptRecord[];
  readonly error: ProxyError | undefined;
  /** A successful OpenSession reply: the session it created (key of the session map). */
  readonly openedSession: string | undefined;
  /** A successful CloseSession reply: the session it ended. */
  readonly closedSession: string | undefined;
}

export type OutcomeSink = (outcome: Outcome) => void;
