// What to do when a coordinator failed a request (DESIGN §5), as pure decisions.
//
// Replaying to a *different* coordinator is always safe: sessions and operations live on one
// coordinator, so a peer rejects a session-bound RPC without running it ("Invalid session id"),
// and an OpenSession replayed there opens a fresh session. Of the failures a request may have
// caused (`implicatesRequest`: a reset, an expired limit, invalid HTTP) only the first is replayed:
// a request that broke two coordinators is more likely the request's fault than theirs, and
// sending it round the whole cluster only spreads the damage (issue: one malformed body reset
// every coordinator in turn and marked them all down). A failure it cannot have caused (a refused
// or timed-out connect, a failed handshake, a coordinator marked down) moves it to the next
// candidate every time, until none is left.
import { ProxyError } from '../errors.ts';

export type FailureAction =
  /** Send the kept body to the next candidate. */
  | 'replay'
  /** Response bytes already reached the client: all that is left is to end its connection. */
  | 'cut'
  /** Answer the client with an error status. */
  | 'answer';

export interface FailureFacts {
  readonly error: ProxyError;
  readonly hasResponseStarted: boolean;
  /** The whole body was kept (up to maxReplayBytes), so it can be sent again. */
  readonly isBodyComplete: boolean;
  /** Earlier attempts of this request that failed in a way that implicates the request. */
  readonly implicatingFailures: number;
}

export function decideFailure(facts: FailureFacts): FailureAction {
  const { error } = facts;
  if (facts.hasResponseStarted) return 'cut';
  const implicating = facts.implicatingFailures + (error.implicatesRequest ? 1 : 0);
  if (error.replayable && facts.isBodyComplete && implicating <= 1) return 'replay';
  return 'answer';
}

/**
 * Whether a failure counts against the coordinator (passive health). Once a request broke one
 * coordinator, any further failure it may have caused is evidence about the request, not about
 * that peer (STYLE rule 12); a refused connect is about the peer whatever the request.
 */
export function isEvidence(error: ProxyError, implicatingFailures: number): boolean {
  return error.isEvidence && (!error.implicatesRequest || implicatingFailures === 0);
}

/**
 * The error to answer with once no replay is possible. With no peer left to try, a failure that
 * `meansUnavailable` (errors.ts) is DESIGN §4's "no coordinator available", not a 502 the client
 * cannot tell from a broken proxy.
 */
export function answerFor(error: ProxyError, hasPeer: boolean): ProxyError {
  if (hasPeer || !error.meansUnavailable) return error;
  return new ProxyError('NO_COORDINATOR', `no other coordinator is available: ${error.message}`, { cause: error });
}
