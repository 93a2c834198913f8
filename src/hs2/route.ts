// Which coordinator serves an hs2 request: DESIGN §4's table as one decision over the affinity
// cookie, the session handle in the body, coordinator state and the candidate iterator. Reads
// state, writes none (the candidates' policy keeps its own rotation).
import type { AffinityCookie } from '../affinity/cookie-header.ts';
import type { Coordinator } from '../upstream/coordinator.ts';
import type { CoordinatorSet } from '../upstream/coordinator-set.ts';
import type { Candidates } from './candidates.ts';
import type { RepinReason, Verdict } from './outcome.ts';
import type { SniffedRequest } from './sniff.ts';

export interface RouteDecision {
  /** undefined: no coordinator is available (503). */
  readonly coordinator: Coordinator | undefined;
  readonly verdict: Verdict;
  /** Send Set-Cookie for the chosen coordinator. */
  readonly setCookie: boolean;
  /** Drop impala.auth: it was minted by another coordinator than the one chosen. */
  readonly stripAuth: boolean;
  readonly reason: RepinReason | undefined;
}

export interface RouteInput {
  readonly cookie: AffinityCookie;
  readonly sniffed: SniffedRequest;
}

export interface RouteContext {
  readonly coordinators: CoordinatorSet;
  /** Session key → the coordinator that created it (the session map). */
  sessionOwner(key: string): string | undefined;
  readonly candidates: Candidates;
}

export function routeRequest(input: RouteInput, context: RouteContext): RouteDecision {
  const { cookie, sniffed } = input;
  const { coordinators, candidates } = context;
  const match = cookie.value === undefined ? undefined : coordinators.tokens.lookup(cookie.value);
  const isInvalid = cookie.isMalformed || (cookie.value !== undefined && match === undefined);
  const pinned = match === undefined ? undefined : coordinators.byName(match.name);

  // The session handle decides whenever its coordinator can serve it: the cookie only names where
  // the client's newest session went. impala-shell cancels a query (Ctrl-C) over a new connection
  // with a new session, so its CancelOperation carries the first session's handle and the second
  // session's cookie; following the cookie let the query run its full course.
  const owner = sessionOwner(sniffed, context);
  if (owner !== undefined) {
    if (owner === pinned) return decide(owner, 'kept', !match!.isCurrent, undefined, false);
    // The cookie's own session stays where it is: no Set-Cookie, and not its impala.auth either.
    if (pinned?.acceptsPinned) return decide(owner, 'handle', false, undefined, true);
    const reason = match === undefined ? undefined : lostReason(pinned);
    return decide(owner, isInvalid ? 'invalid' : 'recovered', true, reason, reason !== undefined);
  }

  if (match !== undefined) {
    if (pinned?.acceptsPinned) {
      if (!pinned.isAvailable && sniffed.method === 'OpenSession') {
        const peer = candidates.next();
        // With no peer, a draining coordinator still serves rather than a 503.
        if (peer !== undefined) return decide(peer, 'repinned', true, 'draining', true);
      }
      return decide(pinned, 'kept', !match.isCurrent, undefined, false);
    }
    return decide(candidates.next(), 'repinned', true, lostReason(pinned), true);
  }
  return decide(candidates.next(), isInvalid ? 'invalid' : 'new', true, undefined, false);
}

function lostReason(pinned: Coordinator | undefined): RepinReason {
  return pinned === undefined ? 'removed' : pinned.health === 'down' ? 'down' : 'disabled';
}

function decide(coordinator: Coordinator | undefined, verdict: Verdict, setCookie: boolean, reason: RepinReason | undefined, stripAuth: boolean): RouteDecision {
  return { coordinator, verdict, setCookie, stripAuth, reason };
}

function sessionOwner(sniffed: SniffedRequest, context: RouteContext): Coordinator | undefined {
  if (sniffed.sessionKey === undefined) return undefined;
  const name = context.sessionOwner(sniffed.sessionKey);
  const owner = name === undefined ? undefined : context.coordinators.byName(name);
  return owner?.acceptsPinned ? owner : undefined;
}
