// session key → coordinator name, learned from OpenSession replies. It is a per-replica fallback
// (the cookie is the source of truth) that keeps affinity for clients that drop our cookie, and it
// feeds the per-coordinator session counts of least-sessions. Bounded in entries and idle time.
// Process lifetime: sessions live on coordinators, not on config generations.
//
// With workers (src/cluster/) the primary holds the owning map — it alone learns, forgets, sweeps
// and evicts, and reports each change (`replication`) so that every worker applies it to its
// replica (`isReplica`). A replica does no bookkeeping of its own: its entries change only when
// the sync channel says so, and it only tells which sessions its requests used (touchedSince), so
// that the owner does not sweep a session that is busy in a worker.

interface Entry {
  readonly coordinator: string;
  lastSeenMs: number;
}

/** What the owning map reports, for its replicas. */
export interface SessionChanges {
  learned(key: string, coordinator: string): void;
  /** Forgotten by key (CloseSession, idle sweep, eviction); forgetCoordinator is not reported key by key. */
  forgotten(key: string): void;
}

export interface SessionMapOptions {
  readonly idleTtlMs: number;
  readonly maxEntries: number;
  /** Called with +1 / -1 when a coordinator gains or loses a learned session. */
  readonly onCountChange?: (coordinator: string, delta: number) => void;
  /** The owning map of a primary: every change it makes for its own reasons. */
  readonly replication?: SessionChanges;
  /** A worker's replica: no sweeping and no eviction (the owner decides and reports both). */
  readonly isReplica?: boolean;
}

export class SessionMap {
  readonly #entries = new Map<string, Entry>();
  /** Learned sessions per coordinator, kept with the entries: least-sessions reads it per new pin. */
  readonly #counts = new Map<string, number>();
  readonly #options: SessionMapOptions;
  readonly #sweeper: NodeJS.Timeout | undefined;

  constructor(options: SessionMapOptions) {
    this.#options = options;
    if (options.isReplica) return;
    // Sweeping is cheap (one pass over at most maxEntries) and need not be precise.
    this.#sweeper = setInterval(() => this.sweep(Date.now()), sweepIntervalMs(options.idleTtlMs));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#entries.size;
  }

  learn(key: string, coordinator: string, nowMs = Date.now()): void {
    this.forget(key);
    if (this.#entries.size >= this.#options.maxEntries && !this.#options.isReplica) {
      // Insertion order is age order: evict the oldest session we learned.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
    this.#entries.set(key, { coordinator, lastSeenMs: nowMs });
    this.#count(coordinator, 1);
    this.#options.replication?.learned(key, coordinator);
  }

  /** The coordinator that owns the session; refreshes its idle timer. */
  lookup(key: string, nowMs = Date.now()): string | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    entry.lastSeenMs = nowMs;
    return entry.coordinator;
  }

  /** False when the map did not have it. */
  forget(key: string): boolean {
    if (!this.#remove(key)) return false;
    this.#options.replication?.forgotten(key);
    return true;
  }

  #remove(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#count(entry.coordinator, -1);
    return true;
  }

  #count(coordinator: string, delta: number): void {
    const count = (this.#counts.get(coordinator) ?? 0) + delta;
    if (count === 0) this.#counts.delete(coordinator);
    else this.#counts.set(coordinator, count);
    this.#options.onCountChange?.(coordinator, delta);
  }

  /**
   * A coordinator that went down lost its sessions (impalad keeps them in memory only). Not
   * reported key by key: the primary tells its workers in one message.
   */
  forgetCoordinator(coordinator: string): number {
    let count = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.coordinator === coordinator) {
        this.#remove(key);
        count += 1;
      }
    }
    return count;
  }

  countFor(coordinator: string): number {
    return this.#counts.get(coordinator) ?? 0;
  }

  /** The owner: sessions a worker's requests used, as lookup() would have refreshed them. */
  touch(keys: Iterable<string>, nowMs: number): void {
    for (const key of keys) {
      const entry = this.#entries.get(key);
      if (entry !== undefined && entry.lastSeenMs < nowMs) entry.lastSeenMs = nowMs;
    }
  }

  /** A replica: the sessions looked up since `sinceMs` (one pass, every touch interval; nothing per lookup). */
  touchedSince(sinceMs: number): string[] {
    const keys: string[] = [];
    for (const [key, entry] of this.#entries) if (entry.lastSeenMs >= sinceMs) keys.push(key);
    return keys;
  }

  /** Every entry, oldest first: the map a new worker starts from. */
  entries(): [key: string, coordinator: string][] {
    return Array.from(this.#entries, ([key, entry]) => [key, entry.coordinator]);
  }

  sweep(nowMs: number): void {
    const oldestAllowed = nowMs - this.#options.idleTtlMs;
    for (const [key, entry] of this.#entries) if (entry.lastSeenMs < oldestAllowed) this.forget(key);
  }

  close(): void {
    clearInterval(this.#sweeper);
  }
}

/** How often the owner sweeps; a replica reports what it touched twice as often, so the owner never sweeps a busy session. */
export function sweepIntervalMs(idleTtlMs: number): number {
  return Math.min(Math.max(idleTtlMs / 4, 1_000), 60_000);
}
