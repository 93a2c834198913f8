// One timer for every request body being read (and every response waiting on its client: the
// responseDrain watches of hs2/exchange.ts and http/drain-watch.ts), instead of a timer per request. Measured with
// callgrind (instructions per small RPC through dist/cli.js, the difference between 300 and 1,300
// requests): a setTimeout/clearTimeout pair per request body cost about 250k of 900k instructions,
// because each request emptied and refilled Node's timer list for that duration and rescheduled
// libuv's timer. A watched read costs a field write per chunk; a sweep a few times a second finds
// the ones that went quiet.

export interface Watched {
  /** A body byte arrived: the idle clock starts again. */
  touch(): void;
  /** The read ended, or waits on the proxy rather than the client: it is no longer watched. */
  stop(): void;
}

class Entry implements Watched {
  readonly #watch: IdleWatch;
  readonly onIdle: () => void;
  lastTick: number;

  constructor(watch: IdleWatch, onIdle: () => void) {
    this.#watch = watch;
    this.onIdle = onIdle;
    this.lastTick = watch.tick;
  }

  touch(): void {
    this.lastTick = this.#watch.tick;
  }

  stop(): void {
    this.#watch.forget(this);
  }
}

export class IdleWatch {
  readonly idleTimeoutMs: number;
  /** Advances once per sweep; what a read last saw of it says how long it has been quiet. */
  tick = 0;
  readonly #entries = new Set<Entry>();
  readonly #idleTicks: number;
  readonly #timer: NodeJS.Timeout;
  #isRetired = false;

  /**
   * A read quiet for `idleTimeoutMs` is reported after between that and a quarter more (at most
   * one second more): the sweep runs every idleTimeoutMs / 4, at least every second.
   */
  constructor(idleTimeoutMs: number) {
    this.idleTimeoutMs = idleTimeoutMs;
    const intervalMs = Math.max(10, Math.min(1_000, Math.floor(idleTimeoutMs / 4)));
    this.#idleTicks = Math.ceil(idleTimeoutMs / intervalMs);
    this.#timer = setInterval(() => this.#sweep(), intervalMs);
    this.#timer.unref();
  }

  /** Starts watching a read; `onIdle` runs once if it goes quiet for idleTimeoutMs. */
  watch(onIdle: () => void): Watched {
    const entry = new Entry(this, onIdle);
    this.#entries.add(entry);
    return entry;
  }

  forget(entry: Entry): void {
    this.#entries.delete(entry);
    if (this.#isRetired && this.#entries.size === 0) this.close();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#entries.clear();
  }

  /**
   * For an owner whose last watched reads or writes may still be running (a retired generation's
   * streamed responses): keeps watching them, and stops the sweep once none is left (now, if none is).
   */
  retire(): void {
    this.#isRetired = true;
    if (this.#entries.size === 0) this.close();
  }

  #sweep(): void {
    this.tick += 1;
    for (const entry of this.#entries) {
      // Past idleTicks whole sweeps without a touch (the first partial one does not count).
      if (this.tick - entry.lastTick > this.#idleTicks) {
        this.#entries.delete(entry);
        entry.onIdle();
      }
    }
    if (this.#isRetired && this.#entries.size === 0) this.close();
  }
}
