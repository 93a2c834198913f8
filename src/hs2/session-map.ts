// session key → coordinator name, learned from OpenSession replies. It is a per-replica fallback
// (the cookie is the source of truth) that keeps affinity for clients that drop our cookie, and it
// feeds the per-coordinator session counts of least-sessions. Bounded in entries and idle time.
// Process lifetime: sessions live on coordinators, not on config generations.

interface Entry {
  readonly coordinator: string;
  lastSeenMs: number;
}

export interface SessionMapOptions {
  readonly idleTtlMs: number;
  readonly maxEntries: number;
  /** Called with +1 / -1 when a coordinator gains or loses a learned session. */
  readonly onCountChange?: (coordinator: string, delta: number) => void;
}

export class SessionMap {
  readonly #entries = new Map<string, Entry>();
  /** Learned sessions per coordinator, kept with the entries: least-sessions reads it per new pin. */
  readonly #counts = new Map<string, number>();
  readonly #options: SessionMapOptions;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: SessionMapOptions) {
    this.#options = options;
    // Sweeping is cheap (one pass over at most maxEntries) and need not be precise.
    this.#sweeper = setInterval(() => this.sweep(Date.now()), Math.min(Math.max(options.idleTtlMs / 4, 1_000), 60_000));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#entries.size;
  }

  learn(key: string, coordinator: string, nowMs = Date.now()): void {
    this.forget(key);
    if (this.#entries.size >= this.#options.maxEntries) {
      // Insertion order is age order: evict the oldest session we learned.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
    this.#entries.set(key, { coordinator, lastSeenMs: nowMs });
    this.#count(coordinator, 1);
  }

  /** The coordinator that owns the session; refreshes its idle timer. */
  lookup(key: string, nowMs = Date.now()): string | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    entry.lastSeenMs = nowMs;
    return entry.coordinator;
  }

  forget(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#count(entry.coordinator, -1);
  }

  #count(coordinator: string, delta: number): void {
    const count = (this.#counts.get(coordinator) ?? 0) + delta;
    if (count === 0) this.#counts.delete(coordinator);
    else this.#counts.set(coordinator, count);
    this.#options.onCountChange?.(coordinator, delta);
  }

  /** A coordinator that went down lost its sessions (impalad keeps them in memory only). */
  forgetCoordinator(coordinator: string): number {
    let count = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.coordinator === coordinator) {
        this.forget(key);
        count += 1;
      }
    }
    return count;
  }

  countFor(coordinator: string): number {
    return this.#counts.get(coordinator) ?? 0;
  }

  sweep(nowMs: number): void {
    const oldestAllowed = nowMs - this.#options.idleTtlMs;
    for (const [key, entry] of this.#entries) if (entry.lastSeenMs < oldestAllowed) this.forget(key);
  }

  close(): void {
    clearInterval(this.#sweeper);
  }
}
