import type { Candidate, Policy } from './policy.ts';

/**
 * Least load per unit of weight, where a coordinator's load is everything it carries for every
 * front end: open HS2 sessions learned on the hs2-http path, OpenSessions still in flight there (so
 * a burst of new clients spreads instead of piling onto the coordinator that looked emptiest), and
 * open TCP connections (binary HS2, Beeswax). HAProxy, with one backend per port, sees only its
 * own connections. Ties rotate. `least-sessions` (hs2-http) and `least-connections` (TCP
 * listeners) are this policy under the name each front end's users know.
 */
export class LeastLoad implements Policy {
  readonly name: string;
  #rotation = 0;

  constructor(name: 'least-sessions' | 'least-connections') {
    this.name = name;
  }

  pick<C extends Candidate>(candidates: readonly C[]): C | undefined {
    if (candidates.length <= 1) return candidates[0];
    let bestLoad = Infinity;
    let ties = 0;
    for (const candidate of candidates) {
      const load = loadOf(candidate);
      if (load < bestLoad) {
        bestLoad = load;
        ties = 1;
      } else if (load === bestLoad) ties += 1;
    }
    // Rotate among the tied candidates only, so equal coordinators take turns.
    let turn = this.#rotation++ % ties;
    for (const candidate of candidates) {
      if (loadOf(candidate) !== bestLoad) continue;
      if (turn-- === 0) return candidate;
    }
    return undefined;
  }
}

function loadOf(candidate: Candidate): number {
  return (candidate.sessions + candidate.pendingOpens + candidate.connections) / candidate.weight;
}
