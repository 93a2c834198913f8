import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionMap } from '../../src/hs2/session-map.ts';

interface Recorder {
  readonly changes: [string, number][];
  readonly onCountChange: (coordinator: string, delta: number) => void;
}

function recorder(): Recorder {
  const changes: [string, number][] = [];
  return { changes, onCountChange: (coordinator, delta) => changes.push([coordinator, delta]) };
}

const maps: SessionMap[] = [];
function makeMap(options: { idleTtlMs?: number; maxEntries?: number } = {}): { map: SessionMap; changes: [string, number][] } {
  const { changes, onCountChange } = recorder();
  const map = new SessionMap({ idleTtlMs: options.idleTtlMs ?? 60_000, maxEntries: options.maxEntries ?? 100, onCountChange });
  maps.push(map);
  return { map, changes };
}

afterEach(() => {
  for (const map of maps.splice(0)) map.close();
  vi.useRealTimers();
});

describe('SessionMap', () => {
  it('learns, looks up and forgets, reporting count changes', () => {
    const { map, changes } = makeMap();
    map.learn('s1', 'impalad-1', 0);
    map.learn('s2', 'impalad-2', 0);
    map.learn('s3', 'impalad-1', 0);
    expect(map.size).toBe(3);
    expect(map.lookup('s1', 1)).toBe('impalad-1');
    expect(map.lookup('s2', 1)).toBe('impalad-2');
    expect(map.lookup('nope', 1)).toBeUndefined();
    expect(map.countFor('impalad-1')).toBe(2);
    expect(map.forget('s1')).toBe(true);
    expect(map.forget('s1')).toBe(false); // twice: no second -1
    expect(map.forget('unknown')).toBe(false);
    expect(map.lookup('s1', 2)).toBeUndefined();
    expect(map.size).toBe(2);
    expect(changes).toEqual([
      ['impalad-1', 1],
      ['impalad-2', 1],
      ['impalad-1', 1],
      ['impalad-1', -1],
    ]);
  });

  it('moves a re-learned key to its new coordinator (one -1, one +1)', () => {
    const { map, changes } = makeMap();
    map.learn('s1', 'impalad-1', 0);
    map.learn('s1', 'impalad-2', 0);
    expect(map.size).toBe(1);
    expect(map.lookup('s1')).toBe('impalad-2');
    expect(changes).toEqual([
      ['impalad-1', 1],
      ['impalad-1', -1],
      ['impalad-2', 1],
    ]);
  });

  it('evicts the oldest learned entry at maxEntries', () => {
    const { map, changes } = makeMap({ maxEntries: 3 });
    map.learn('s1', 'a', 0);
    map.learn('s2', 'b', 1);
    map.learn('s3', 'c', 2);
    map.lookup('s1', 3); // a lookup refreshes idleness, not learn order
    map.learn('s4', 'd', 4);
    expect(map.size).toBe(3);
    expect(map.lookup('s1')).toBeUndefined();
    expect(['s2', 's3', 's4'].map((key) => map.lookup(key))).toEqual(['b', 'c', 'd']);
    expect(changes.slice(3)).toEqual([
      ['a', -1],
      ['d', 1],
    ]);
    // Re-learning a present key at the limit evicts nothing else.
    map.learn('s3', 'c', 5);
    expect(map.size).toBe(3);
    expect(map.lookup('s2')).toBe('b');
  });

  it('sweeps entries idle for longer than idleTtlMs, counting from the last lookup', () => {
    const { map, changes } = makeMap({ idleTtlMs: 1_000 });
    map.learn('old', 'a', 0);
    map.learn('used', 'a', 0);
    map.learn('young', 'b', 500);
    map.lookup('used', 900);
    map.sweep(1_000); // exactly idleTtlMs: kept
    expect(map.size).toBe(3);
    map.sweep(1_001);
    expect(map.lookup('old', 1_001)).toBeUndefined();
    expect(map.size).toBe(2);
    map.sweep(1_600);
    expect(map.lookup('young', 1_600)).toBeUndefined();
    expect(map.lookup('used', 1_600)).toBe('a');
    expect(changes.slice(3)).toEqual([
      ['a', -1],
      ['b', -1],
    ]);
  });

  it('forgets every session of one coordinator', () => {
    const { map, changes } = makeMap();
    map.learn('s1', 'a', 0);
    map.learn('s2', 'b', 0);
    map.learn('s3', 'a', 0);
    expect(map.forgetCoordinator('a')).toBe(2);
    expect(map.forgetCoordinator('a')).toBe(0);
    expect(map.size).toBe(1);
    expect(map.lookup('s2')).toBe('b');
    expect(map.countFor('a')).toBe(0);
    expect(changes.slice(3)).toEqual([
      ['a', -1],
      ['a', -1],
    ]);
  });

  it('sweeps on its own timer, which close() clears', () => {
    vi.useFakeTimers({ now: 0 });
    const { map } = makeMap({ idleTtlMs: 10_000 }); // sweeps every 2.5 s
    expect(vi.getTimerCount()).toBe(1);
    map.learn('s1', 'a');
    vi.advanceTimersByTime(10_000);
    expect(map.size).toBe(1);
    vi.advanceTimersByTime(2_500);
    expect(map.size).toBe(0);

    map.learn('s2', 'a');
    map.close();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(map.size).toBe(1);
    map.close(); // idempotent
  });
});

describe('SessionMap with workers: the owner reports, a replica follows', () => {
  function owner(options: { idleTtlMs?: number; maxEntries?: number } = {}) {
    const reported: string[] = [];
    const map = new SessionMap({
      idleTtlMs: options.idleTtlMs ?? 60_000,
      maxEntries: options.maxEntries ?? 100,
      replication: { learned: (key, coordinator) => reported.push(`+${key}@${coordinator}`), forgotten: (key) => reported.push(`-${key}`) },
    });
    maps.push(map);
    return { map, reported };
  }

  function replica(maxEntries = 100) {
    const map = new SessionMap({ idleTtlMs: 1_000, maxEntries, isReplica: true });
    maps.push(map);
    return map;
  }

  it('the owner reports what it learns and forgets for its own reasons: CloseSession, eviction, idle sweep', () => {
    const { map, reported } = owner({ maxEntries: 2, idleTtlMs: 1_000 });
    map.learn('s1', 'a', 0);
    map.learn('s2', 'b', 0);
    map.learn('s3', 'a', 500); // evicts s1
    map.forget('s2');
    map.forget('s2');
    map.sweep(1_501);
    expect(reported).toEqual(['+s1@a', '+s2@b', '-s1', '+s3@a', '-s2', '-s3']);
  });

  it('a purge of a coordinator is not reported key by key (the primary sends one message)', () => {
    const { map, reported } = owner();
    map.learn('s1', 'a', 0);
    map.learn('s2', 'a', 0);
    reported.length = 0;
    expect(map.forgetCoordinator('a')).toBe(2);
    expect(reported).toEqual([]);
  });

  it('a replica applying the reports holds what the owner holds, counts included', () => {
    const { map, reported } = owner({ maxEntries: 2 });
    const copy = replica(2);
    map.learn('s1', 'a', 0);
    map.learn('s2', 'b', 0);
    map.learn('s3', 'a', 0);
    for (const change of reported) {
      const [sign, key, coordinator] = [change[0], ...change.slice(1).split('@')];
      if (sign === '+') copy.learn(key!, coordinator!);
      else copy.forget(key!);
    }
    expect(copy.entries()).toEqual(map.entries());
    expect(copy.countFor('a')).toBe(map.countFor('a'));
  });

  it('a replica neither sweeps nor evicts: the owner decides both', () => {
    vi.useFakeTimers({ now: 0 });
    const copy = replica(1);
    expect(vi.getTimerCount()).toBe(0);
    copy.learn('s1', 'a');
    copy.learn('s2', 'a'); // over maxEntries: the owner's eviction arrives as a forget
    vi.advanceTimersByTime(60_000);
    expect(copy.size).toBe(2);
  });

  it('a replica tells which sessions its lookups used, and the owner spares them in its sweep', () => {
    const copy = replica();
    copy.learn('used', 'a', 0);
    copy.learn('idle', 'a', 0);
    copy.lookup('used', 5_000);
    expect(copy.touchedSince(1_000)).toEqual(['used']);
    expect(copy.touchedSince(6_000)).toEqual([]);

    const { map } = owner({ idleTtlMs: 2_000 });
    map.learn('used', 'a', 0);
    map.learn('idle', 'a', 0);
    map.touch(['used', 'unknown'], 5_000);
    map.touch(['used'], 4_000); // an older report never moves it back
    map.sweep(6_500);
    expect(map.entries()).toEqual([['used', 'a']]);
  });
});
