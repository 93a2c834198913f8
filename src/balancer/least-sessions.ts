import type { Candidate, Policy } from './policy.ts';

/**
 * Fewest open HS2 sessions per unit of weight, counting OpenSessions still in flight so a burst of
 * new clients spreads instead of piling onto the coordinator that looked emptiest. Ties rotate.
 */
export class LeastSessions implements Policy {
  readonly name = 'least-sessions';
  #rotation = 0;

  pick<C extends Candidate>(candidates: readonly C[]): C | undefined {
    const count = candidates.length;
    if (count <= 1) return candidates[0];
    const start = this.#rotation++ % count;
    let best: C | undefined;
    let bestLoad = Infinity;
    for (let i = 0; i < count; i++) {
      const candidate = candidates[(start + i) % count]!;
      const load = (candidate.sessions + candidate.pendingOpens) / candidate.weight;
      if (load < bestLoad) {
        best = candidate;
        bestLoad = load;
      }
    }
    return best;
  }
}
