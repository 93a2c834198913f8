import { createHash } from 'node:crypto';
import type { Candidate, PickContext, Policy } from './policy.ts';

/**
 * Weighted rendezvous hashing of the client address, for clients that keep no cookies: a client
 * keeps its coordinator while that one is available, and losing one coordinator moves only its
 * own clients (a modulo hash would reshuffle everyone).
 */
export class SourceIp implements Policy {
  readonly name = 'source-ip';

  pick<C extends Candidate>(candidates: readonly C[], context: PickContext): C | undefined {
    if (candidates.length <= 1) return candidates[0];
    let best: C | undefined;
    let bestScore = -Infinity;
    for (const candidate of candidates) {
      const hash = createHash('sha256').update(context.clientIp).update('\0').update(candidate.name).digest();
      // Map 48 bits of hash to (0, 1], then weight it: score = -weight / ln(u) (Schindelhauer & Schomaker).
      const unit = (hash.readUIntBE(0, 6) + 1) / 2 ** 48;
      const score = -candidate.weight / Math.log(unit);
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    return best;
  }
}
