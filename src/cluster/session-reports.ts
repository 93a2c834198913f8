// The primary's side of the workers' `session-opened` and `session-closed` reports, applied to the
// owning session map.
//
// They can arrive closed-before-opened. Each worker reports the OpenSession or CloseSession reply
// when the request ends, over its own IPC channel, in a batch sent at the end of that event-loop
// turn (protocol.ts Outbox): the client has the OpenSession reply before worker A's report leaves.
// impyla connects once per RPC, so its CloseSession lands on worker B, which routes it by the
// cookie (it needs no learned session) and reports it; nothing orders B's report after A's. Learned
// late, the session would stay in every replica, counted by least-sessions, until the idle sweep
// (sessions.idleTtlMs, 6 h by default). So a close of a session the map does not know leaves a
// tombstone, and an `opened` that finds one is dropped. impalad's session ids are random and never
// reused: a tombstone is spent by the one late `opened` it waits for.
//
// A close the map does not know is otherwise rare (a session opened before the proxy started, or
// already evicted, swept or purged): such tombstones just expire. Bounded in count and age.
import type { SessionMap } from '../hs2/session-map.ts';

/**
 * How long a close waits for its late `opened`. The two reports race by the time worker A takes
 * to end its event-loop turn against a whole CloseSession round trip through worker B: milliseconds,
 * unless A is starved of CPU; a minute covers any stall that does not get the worker replaced.
 */
export const tombstoneTtlMs = 60_000;
/** At ~100 bytes each, at most about 1 MB; past it, the oldest go first. */
export const maxTombstones = 10_000;

export class SessionReports {
  readonly #sessions: SessionMap;
  readonly #ttlMs: number;
  readonly #maxTombstones: number;
  /** Session key → when it was closed unknown; insertion order is age order. */
  readonly #tombstones = new Map<string, number>();

  constructor(sessions: SessionMap, options: { readonly ttlMs?: number; readonly maxTombstones?: number } = {}) {
    this.#sessions = sessions;
    this.#ttlMs = options.ttlMs ?? tombstoneTtlMs;
    this.#maxTombstones = options.maxTombstones ?? maxTombstones;
  }

  /** Learns the session, unless it was reported closed already (then it is dropped: false). */
  opened(key: string, coordinator: string, nowMs: number): boolean {
    const closedAtMs = this.#tombstones.get(key);
    if (closedAtMs !== undefined) {
      this.#tombstones.delete(key);
      if (nowMs - closedAtMs <= this.#ttlMs) return false;
    }
    this.#sessions.learn(key, coordinator, nowMs);
    return true;
  }

  closed(key: string, nowMs: number): void {
    if (this.#sessions.forget(key)) return;
    this.#expire(nowMs);
    this.#tombstones.delete(key); // closed twice: kept in age order
    if (this.#tombstones.size >= this.#maxTombstones) this.#tombstones.delete(this.#tombstones.keys().next().value!);
    this.#tombstones.set(key, nowMs);
  }

  /** Closes still waiting for their `opened`. */
  get tombstones(): number {
    return this.#tombstones.size;
  }

  #expire(nowMs: number): void {
    for (const [key, closedAtMs] of this.#tombstones) {
      if (nowMs - closedAtMs <= this.#ttlMs) return;
      this.#tombstones.delete(key);
    }
  }
}
