import type { Candidate, Policy } from './policy.ts';

/** Power of two choices: two weighted-random candidates; the lighter one (sessions, TCP connections and requests in flight, per weight) wins. */
export class RandomTwo implements Policy {
  readonly name = 'random-two';
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  pick<C extends Candidate>(candidates: readonly C[]): C | undefined {
    if (candidates.length <= 1) return candidates[0];
    const first = this.#weightedRandom(candidates, undefined);
    const second = this.#weightedRandom(candidates, first);
    const firstLoad = (first.inFlight.size + first.sessions + first.connections) / first.weight;
    const secondLoad = (second.inFlight.size + second.sessions + second.connections) / second.weight;
    return secondLoad < firstLoad ? second : first;
  }

  #weightedRandom<C extends Candidate>(candidates: readonly C[], except: C | undefined): C {
    let total = 0;
    for (const candidate of candidates) if (candidate !== except) total += candidate.weight;
    let point = this.#random() * total;
    for (const candidate of candidates) {
      if (candidate === except) continue;
      point -= candidate.weight;
      if (point < 0) return candidate;
    }
    return candidates.findLast((candidate) => candidate !== except)!;
  }
}
