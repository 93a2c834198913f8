import type { Candidate, Policy } from './policy.ts';

/**
 * Fewest open HS2 sessions per unit of weight, counting OpenSessions still in flight so a burst of
 * new clients spreads instead of piling onto the coordinator that looked emptiest. Ties rotate.
 */
export class LeastSessions implements Policy {
  readonly name = 'least-sessions';
  #rotation = 0;

  pick<C extends Candidate>(candidates: readonly C[]): C | undefined {
    if (candidates.length <= 1) return candidates[0];
    let bestLoad = Infinity;
    let ties = 0;
    for (const candidate of candidates) {
      const load = (candidate.sessions + candidate.pendingOpens) / candidate.weight;
      if (load < bestLoad) {
        bestLoad = load;
        ties = 1;
      } else if (load === bestLoad) ties += 1;
    }
    // Rotate among the tied candidates only, so equal coordinators take turns.
    let turn = this.#rotation++ % ties;
    for (const candidate of candidates) {
      if ((candidate.sessions + candidate.pendingOpens) / candidate.weight !== bestLoad) continue;
      if (turn-- === 0) return candidate;
    }
    return undefined;
  }
}
