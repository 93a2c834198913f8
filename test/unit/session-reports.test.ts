// The primary's handling of the workers' session reports (src/cluster/session-reports.ts): a
// session opened through one worker and closed at once through another may be reported
// closed-before-opened, and must not be learned then.
import { afterEach, describe, expect, it } from 'vitest';
import { SessionReports } from '../../src/cluster/session-reports.ts';
import { SessionMap } from '../../src/hs2/session-map.ts';

const maps: SessionMap[] = [];
afterEach(() => {
  for (const map of maps.splice(0)) map.close();
});

/** The primary's owning map, recording what it would broadcast to the workers' replicas. */
function owner(options: { ttlMs?: number; maxTombstones?: number } = {}) {
  const broadcast: string[] = [];
  const sessions = new SessionMap({
    idleTtlMs: 3600_000,
    maxEntries: 100,
    replication: { learned: (key, coordinator) => broadcast.push(`learned ${key} ${coordinator}`), forgotten: (key) => broadcast.push(`forgotten ${key}`) },
  });
  maps.push(sessions);
  return { sessions, broadcast, reports: new SessionReports(sessions, options) };
}

describe('SessionReports', () => {
  it('opened, then closed: learned, then forgotten, and no tombstone', () => {
    const { sessions, broadcast, reports } = owner();
    expect(reports.opened('s1', 'c1', 0)).toBe(true);
    expect(sessions.countFor('c1')).toBe(1);
    reports.closed('s1', 1);
    expect([sessions.size, reports.tombstones]).toEqual([0, 0]);
    expect(broadcast).toEqual(['learned s1 c1', 'forgotten s1']);
  });

  it('regression: closed through worker B before worker A reported it opened — the late opened is dropped', () => {
    const { sessions, broadcast, reports } = owner();
    reports.closed('s1', 0);
    expect(reports.opened('s1', 'c1', 5)).toBe(false);
    expect([sessions.size, sessions.countFor('c1')]).toEqual([0, 0]);
    expect(broadcast).toEqual([]); // no replica learns it either
    expect(reports.tombstones).toBe(0); // spent: session ids are never reused
    // Other sessions are learned as ever.
    expect(reports.opened('s2', 'c1', 6)).toBe(true);
    expect(sessions.countFor('c1')).toBe(1);
  });

  it('a tombstone expires after ttlMs; expired ones are dropped by the next close', () => {
    const { sessions, reports } = owner({ ttlMs: 1_000 });
    reports.closed('old', 0);
    reports.closed('recent', 900);
    expect(reports.opened('old', 'c1', 1_001)).toBe(true); // too late to be the one it waited for
    expect(sessions.size).toBe(1);
    reports.closed('other', 1_500); // 'recent' is still young
    expect(reports.tombstones).toBe(2);
    reports.closed('another', 2_000); // 'recent' (900) has expired
    expect(reports.tombstones).toBe(2);
    expect(reports.opened('recent', 'c1', 2_000)).toBe(true);
  });

  it('at most maxTombstones: the oldest go first; a key closed twice keeps one', () => {
    const { reports } = owner({ maxTombstones: 2 });
    reports.closed('a', 0);
    reports.closed('b', 1);
    reports.closed('b', 2);
    expect(reports.tombstones).toBe(2);
    reports.closed('c', 3);
    expect(reports.tombstones).toBe(2);
    expect(reports.opened('a', 'c1', 4)).toBe(true); // evicted
    expect(reports.opened('b', 'c1', 4)).toBe(false);
    expect(reports.opened('c', 'c1', 4)).toBe(false);
  });
});
