/**
 * xorshift32: a small deterministic PRNG for fuzz tests and the chaos run, so a failing run can be
 * repeated from its seed. Returns floats in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1; // xorshift never leaves 0
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}
