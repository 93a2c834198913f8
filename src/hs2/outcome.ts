// The end of every hs2 request, as one record: who served it, where the client is pinned now, how
// it was routed, what it cost, what failed. Every request ends in exactly one, the proxy's own
// 400/405/408/503 answers included; the access log, the metrics and the session map read only this.
import type { ErrorCode, ProxyError } from '../errors.ts';

/**
 * new: first pin; kept: the cookie's coordinator serves it; recovered: no usable cookie, but the
 * session in the body belongs to a known coordinator, which becomes the pin; handle: the session
 * in the body belongs to another coordinator than the cookie's, which serves it while the cookie
 * stays as it is; repinned: the pinned coordinator cannot serve it (down, disabled, removed,
 * draining for OpenSession, failed); invalid: the cookie was forged, truncated, oversized,
 * duplicated or signed with an unknown secret.
 */
export type Verdict = 'new' | 'kept' | 'recovered' | 'handle' | 'repinned' | 'invalid';

export const verdicts: readonly Verdict[] = ['new', 'kept', 'recovered', 'handle', 'repinned', 'invalid'];

/** Why a client was moved to another coordinator. */
export type RepinReason = 'down' | 'disabled' | 'removed' | 'draining' | 'failover';

/** One dispatch of the request to one coordinator (failover.ts bounds how many a request gets). */
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
