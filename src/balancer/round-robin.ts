import type { Candidate, Policy } from './policy.ts';

/**
 * Smooth weighted round-robin (as in nginx): every pick adds each candidate's weight to its current
 * score, takes the highest and subtracts the total. Weights 5,1,1 give a a b a c a a, not a a a a a b c.
 */
export class RoundRobin implements Policy {
  readonly name = 'round-robin';
  readonly #current = new Map<string, number>();

  pick<C extends Candidate>(candidates: readonly C[]): C | undefined {
    if (candidates.length <= 1) return candidates[0];
    let total = 0;
    let best: C | undefined;
    let bestScore = -Infinity;
    for (const candidate of candidates) {
      const score = (this.#current.get(candidate.name) ?? 0) + candidate.weight;
      this.#current.set(candidate.name, score);
      total += candidate.weight;
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    this.#current.set(best!.name, bestScore - total);
    return best;
  }
}
