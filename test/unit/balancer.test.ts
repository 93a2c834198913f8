import { describe, expect, it } from 'vitest';
import { createPolicy, type Candidate, type PickContext, type Policy } from '../../src/balancer/index.ts';
import { LeastLoad } from '../../src/balancer/least-load.ts';
import { RandomTwo } from '../../src/balancer/random-two.ts';
import { RoundRobin } from '../../src/balancer/round-robin.ts';
import { SourceIp } from '../../src/balancer/source-ip.ts';

interface TestCandidate extends Candidate {
  sessions: number;
  pendingOpens: number;
  connections: number;
  inFlight: { size: number };
}

function candidate(name: string, options: { weight?: number; sessions?: number; pendingOpens?: number; connections?: number; inFlight?: number } = {}): TestCandidate {
  return {
    name,
    weight: options.weight ?? 1,
    sessions: options.sessions ?? 0,
    pendingOpens: options.pendingOpens ?? 0,
    connections: options.connections ?? 0,
    inFlight: { size: options.inFlight ?? 0 },
  };
}

const context: PickContext = { clientIp: '192.0.2.1' };

function names(policy: Policy, candidates: readonly TestCandidate[], picks: number): string[] {
  return Array.from({ length: picks }, () => policy.pick(candidates, context)!.name);
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

describe('createPolicy', () => {
  it('creates each policy by its config name', () => {
    for (const name of ['least-sessions', 'least-connections', 'round-robin', 'random-two', 'source-ip'] as const) expect(createPolicy(name).name).toBe(name);
  });
});

describe.each([
  ['least-sessions', () => new LeastLoad('least-sessions')],
  ['round-robin', () => new RoundRobin()],
  ['random-two', () => new RandomTwo(() => 0.5)],
  ['source-ip', () => new SourceIp()],
])('%s with trivial lists', (_name, make) => {
  it('returns undefined for no candidates and the only one for one', () => {
    const policy = make();
    expect(policy.pick([], context)).toBeUndefined();
    const only = candidate('a');
    expect(policy.pick([only], context)).toBe(only);
  });
});

describe('least-connections (TCP listeners) and least-sessions see the whole load', () => {
  it('counts hs2-http sessions and TCP connections together, per weight', () => {
    const policy = createPolicy('least-connections');
    // a: 3 sessions; b: 1 session + 3 TCP connections; c: 2 TCP connections, weight 2 (load 1).
    const candidates = [candidate('a', { sessions: 3 }), candidate('b', { sessions: 1, connections: 3 }), candidate('c', { connections: 2, weight: 2 })];
    expect(policy.pick(candidates, context)!.name).toBe('c');
    expect(createPolicy('least-sessions').pick(candidates.slice(0, 2), context)!.name).toBe('a');
  });
});

describe('least-sessions', () => {
  it('picks the fewest sessions plus pending opens', () => {
    const policy = new LeastLoad('least-sessions');
    const a = candidate('a', { sessions: 5 });
    const b = candidate('b', { sessions: 2, pendingOpens: 2 });
    const c = candidate('c', { sessions: 3 });
    for (let i = 0; i < 6; i++) expect(policy.pick([a, b, c])).toBe(c);
  });

  it('divides by weight', () => {
    const policy = new LeastLoad('least-sessions');
    const heavy = candidate('heavy', { weight: 4, sessions: 10 }); // 2.5
    const light = candidate('light', { weight: 1, sessions: 3 }); // 3
    for (let i = 0; i < 4; i++) expect(policy.pick([light, heavy])).toBe(heavy);
    light.sessions = 2; // 2
    expect(policy.pick([light, heavy])).toBe(light);
  });

  it('rotates among ties', () => {
    const policy = new LeastLoad('least-sessions');
    const list = [candidate('a'), candidate('b'), candidate('c')];
    expect(names(policy, list, 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    // With a busier candidate in the list, the tied ones take strict turns.
    const tiedTwo = [candidate('a', { sessions: 1 }), candidate('b'), candidate('c')];
    expect(names(policy, tiedTwo, 4).sort()).toEqual(['b', 'b', 'c', 'c']);
  });

  it('spreads 30 sequential opens within ±1 over 3 when counts are updated', () => {
    const policy = new LeastLoad('least-sessions');
    const list = [candidate('a', { sessions: 4 }), candidate('b'), candidate('c', { sessions: 1 })];
    for (let i = 0; i < 30; i++) {
      const picked = policy.pick(list)!;
      picked.pendingOpens += 1;
      if (i % 2 === 1) {
        // An OpenSession completes: pending becomes a session.
        picked.pendingOpens -= 1;
        picked.sessions += 1;
      }
    }
    const loads = list.map((c) => c.sessions + c.pendingOpens);
    expect(loads.reduce((sum, load) => sum + load, 0)).toBe(35);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
  });

  it('spreads by weight (3:1) when counts are updated', () => {
    const policy = new LeastLoad('least-sessions');
    const list = [candidate('big', { weight: 3 }), candidate('small', { weight: 1 })];
    for (let i = 0; i < 40; i++) policy.pick(list)!.sessions += 1;
    expect(list.map((c) => c.sessions)).toEqual([30, 10]);
  });
});

describe('round-robin', () => {
  it('is smooth: weights 5,1,1 give a a b a c a a', () => {
    const policy = new RoundRobin();
    const list = [candidate('a', { weight: 5 }), candidate('b'), candidate('c')];
    expect(names(policy, list, 14).join(' ')).toBe('a a b a c a a a a b a c a a');
  });

  it('cycles equal weights in order', () => {
    const policy = new RoundRobin();
    const list = [candidate('a'), candidate('b'), candidate('c')];
    expect(names(policy, list, 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('gives each candidate exactly its weight share in every period', () => {
    const policy = new RoundRobin();
    const list = [candidate('a', { weight: 3 }), candidate('b', { weight: 2 }), candidate('c', { weight: 1 })];
    for (let period = 0; period < 5; period++) expect(countBy(names(policy, list, 6))).toEqual({ a: 3, b: 2, c: 1 });
  });

  it('ignores load', () => {
    const policy = new RoundRobin();
    const list = [candidate('a', { sessions: 100 }), candidate('b')];
    expect(names(policy, list, 4)).toEqual(['a', 'b', 'a', 'b']);
  });
});

describe('random-two', () => {
  /** Returns the given values in turn. */
  function sequence(...values: number[]): () => number {
    let i = 0;
    return () => values[i++ % values.length]!;
  }

  it('draws two distinct candidates and keeps the less loaded one', () => {
    const a = candidate('a', { inFlight: 3 });
    const b = candidate('b', { inFlight: 1 });
    const c = candidate('c', { inFlight: 2 });
    // 0.1 × 3 → a; then 0.9 × 2 over {b, c} → c.
    expect(new RandomTwo(sequence(0.1, 0.9)).pick([a, b, c])).toBe(c);
    // 0.5 × 3 → b; then 0.0 over {a, c} → a.
    expect(new RandomTwo(sequence(0.5, 0.0)).pick([a, b, c])).toBe(b);
    // 0.99 × 3 → c; then 0.0 over {a, b} → a.
    expect(new RandomTwo(sequence(0.99, 0.0)).pick([a, b, c])).toBe(c);
  });

  it('never compares a candidate with itself', () => {
    const a = candidate('a', { inFlight: 9 });
    const b = candidate('b', { inFlight: 0 });
    // The same draw twice still yields a and then b.
    expect(new RandomTwo(sequence(0.2, 0.2)).pick([a, b])).toBe(b);
  });

  it('keeps the first draw on a tie', () => {
    const list = [candidate('a'), candidate('b'), candidate('c')];
    expect(new RandomTwo(sequence(0.7, 0.0)).pick(list)!.name).toBe('c');
  });

  it('counts sessions and in-flight requests per unit of weight', () => {
    const a = candidate('a', { weight: 4, sessions: 6, inFlight: 2 }); // 2
    const b = candidate('b', { weight: 1, sessions: 2, inFlight: 1 }); // 3
    expect(new RandomTwo(sequence(0.9, 0.0)).pick([a, b])).toBe(a);
  });

  it('draws by weight', () => {
    const a = candidate('a', { weight: 3 });
    const b = candidate('b', { weight: 1 });
    // Ties keep the first draw, so the pick is the first draw: a for [0, 0.75), b for [0.75, 1).
    expect(new RandomTwo(sequence(0.74, 0.0)).pick([a, b])).toBe(a);
    expect(new RandomTwo(sequence(0.75, 0.0)).pick([a, b])).toBe(b);
  });

  it('survives a random() that returns almost 1', () => {
    const list = [candidate('a'), candidate('b')];
    expect(new RandomTwo(() => 0.9999999999999999).pick(list)!.name).toBe('b');
  });
});

describe('source-ip', () => {
  const ips = Array.from({ length: 1000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`);

  function assign(policy: Policy, list: readonly TestCandidate[]): Map<string, string> {
    return new Map(ips.map((ip) => [ip, policy.pick(list, { clientIp: ip })!.name]));
  }

  it('is stable per IP, across instances and candidate order', () => {
    const list = [candidate('a'), candidate('b'), candidate('c')];
    const first = assign(new SourceIp(), list);
    expect(assign(new SourceIp(), list)).toEqual(first);
    expect(assign(new SourceIp(), [...list].reverse())).toEqual(first);
  });

  it('spreads clients over equal candidates', () => {
    const counts = countBy([...assign(new SourceIp(), [candidate('a'), candidate('b'), candidate('c')]).values()]);
    for (const name of ['a', 'b', 'c']) {
      expect(counts[name]).toBeGreaterThan(280);
      expect(counts[name]).toBeLessThan(390);
    }
  });

  it('moves only the removed candidate’s clients', () => {
    const list = [candidate('a'), candidate('b'), candidate('c'), candidate('d')];
    const before = assign(new SourceIp(), list);
    const after = assign(new SourceIp(), list.filter((c) => c.name !== 'c'));
    let moved = 0;
    for (const ip of ips) {
      if (before.get(ip) === 'c') {
        moved += 1;
        expect(after.get(ip)).not.toBe('c');
      } else {
        expect(after.get(ip)).toBe(before.get(ip));
      }
    }
    expect(moved).toBeGreaterThan(150);
  });

  it('respects weights roughly (3:1)', () => {
    const counts = countBy([...assign(new SourceIp(), [candidate('big', { weight: 3 }), candidate('small', { weight: 1 })]).values()]);
    expect(counts.big! + counts.small!).toBe(1000);
    expect(counts.big).toBeGreaterThan(700);
    expect(counts.big).toBeLessThan(800);
  });

  it('ignores load', () => {
    const list = [candidate('a'), candidate('b')];
    const before = assign(new SourceIp(), list);
    list[0]!.sessions = 1000;
    list[1]!.inFlight.size = 1000;
    expect(assign(new SourceIp(), list)).toEqual(before);
  });
});
