// Which coordinator serves an hs2 request: DESIGN §4's table, as one pure-ish decision over the
// affinity cookie, the sniffed session key, coordinator state and the balancing policy.
import type { AffinityCookie } from '../affinity/cookie-header.ts';
import type { Policy } from '../balancer/index.ts';
import type { Coordinator } from '../upstream/coordinator.ts';
import type { CoordinatorSet } from '../upstream/coordinator-set.ts';
import type { SessionMap } from './session-map.ts';
import type { SniffedRequest } from './sniff.ts';

/**
 * new: first pin; kept: the cookie's coordinator serves it; recovered: no valid cookie, but the
 * session in the body belongs to a known coordinator; repinned: the pinned coordinator cannot
 * serve it (down, disabled, removed, draining for OpenSession, failed); invalid: the cookie was
 * forged, truncated, oversized, duplicated or signed with an unknown secret.
 */
export type Verdict = 'new' | 'kept' | 'recovered' | 'repinned' | 'invalid';

export interface RouteDecision {
  /** undefined: no coordinator is available (503). */
  readonly coordinator: Coordinator | undefined;
  readonly verdict: Verdict;
  /** Send Set-Cookie for the chosen coordinator. */
  readonly setCookie: boolean;
  /** Drop impala.auth: it was minted by another coordinator than the one chosen. */
  readonly stripAuth: boolean;
  readonly reason: string | undefined;
}

export interface RouteInput {
  readonly cookie: AffinityCookie;
  readonly sniffed: SniffedRequest;
  readonly clientIp: string;
}

export interface RouteContext {
  readonly coordinators: CoordinatorSet;
  readonly sessions: SessionMap;
  readonly policy: Policy;
}

export function routeRequest(input: RouteInput, context: RouteContext): RouteDecision {
  const { cookie, sniffed } = input;
  const match = cookie.value === undefined ? undefined : context.coordinators.tokens.lookup(cookie.value);
  const isInvalid = cookie.isMalformed || (cookie.value !== undefined && match === undefined);

  if (match !== undefined) {
    const pinned = context.coordinators.byName(match.name);
    if (pinned?.acceptsPinned) {
      if (!pinned.isAvailable && sniffed.method === 'OpenSession') {
        const peer = context.policy.pick(context.coordinators.available(), input);
        // With no peer, a draining coordinator still serves rather than a 503.
        if (peer !== undefined) return decide(peer, 'repinned', true, 'draining');
      }
      return decide(pinned, 'kept', !match.isCurrent, undefined, false);
    }
    const reason = pinned === undefined ? 'removed' : pinned.health === 'down' ? 'down' : 'disabled';
    const owner = sessionOwner(sniffed, context);
    if (owner !== undefined && owner !== pinned) return decide(owner, 'recovered', true, reason);
    const peer = context.policy.pick(context.coordinators.available(), input);
    return decide(peer, 'repinned', true, reason);
  }

  const owner = sessionOwner(sniffed, context);
  if (owner !== undefined) return decide(owner, isInvalid ? 'invalid' : 'recovered', true, undefined, false);
  const chosen = context.policy.pick(context.coordinators.available(), input);
  return decide(chosen, isInvalid ? 'invalid' : 'new', true, undefined, false);
}

function decide(
  coordinator: Coordinator | undefined,
  verdict: Verdict,
  setCookie: boolean,
  reason: string | undefined,
  stripAuth = verdict === 'repinned' || verdict === 'recovered',
): RouteDecision {
  return { coordinator, verdict, setCookie, stripAuth, reason };
}

function sessionOwner(sniffed: SniffedRequest, context: RouteContext): Coordinator | undefined {
  if (sniffed.sessionKey === undefined) return undefined;
  const name = context.sessions.lookup(sniffed.sessionKey);
  const owner = name === undefined ? undefined : context.coordinators.byName(name);
  return owner?.acceptsPinned ? owner : undefined;
}
