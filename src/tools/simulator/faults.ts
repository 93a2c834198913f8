// Scripted misbehaviour of a simulated coordinator: a freeze gate (a SIGSTOPped impalad: TCP is
// accepted by the kernel, nothing is ever answered) and per-RPC stalls. Waiters are released by
// unfreeze/release, or rejected when the coordinator stops (its sockets are destroyed anyway).

/** Rejects waiters with this when the coordinator stops. */
export class CoordinatorStoppedError extends Error {
  readonly code = 'SIMULATOR_STOPPED';
  constructor() {
    super('simulated coordinator stopped');
    this.name = 'CoordinatorStoppedError';
  }
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

export class FreezeGate {
  #frozen = false;
  #waiters: Waiter[] = [];

  get isFrozen(): boolean {
    return this.#frozen;
  }

  freeze(): void {
    this.#frozen = true;
  }

  unfreeze(): void {
    this.#frozen = false;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  /** Resolves at once when not frozen, otherwise at unfreeze. */
  pass(): Promise<void> | undefined {
    if (!this.#frozen) return undefined;
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Stop: forget the frozen state and reject every waiter. */
  reset(): void {
    this.#frozen = false;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new CoordinatorStoppedError());
  }
}

interface HeldRequest extends Waiter {
  method: string;
}

export class StallRegistry {
  readonly #methods = new Set<string>();
  #held: HeldRequest[] = [];
  #arrivalWaiters: { method: string | undefined; resolve(): void; reject(error: Error): void }[] = [];

  stall(method: string): void {
    this.#methods.add(method);
  }

  isStalled(method: string): boolean {
    return this.#methods.has(method);
  }

  /** Number of requests currently held (for `method`, or all). */
  heldCount(method?: string): number {
    return method === undefined ? this.#held.length : this.#held.filter((held) => held.method === method).length;
  }

  /** Holds a request for `method` until release() or reset(). */
  hold(method: string): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => this.#held.push({ method, resolve, reject }));
    this.#arrivalWaiters = this.#arrivalWaiters.filter((waiter) => {
      if (waiter.method !== undefined && waiter.method !== method) return true;
      waiter.resolve();
      return false;
    });
    return promise;
  }

  /** Resolves once a request (for `method`, or any) is held; at once if one already is. */
  waitForHeld(method?: string): Promise<void> {
    if (this.heldCount(method) > 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.#arrivalWaiters.push({ method, resolve, reject }));
  }

  /** Stops stalling `method` (or every method) and lets its held requests proceed. */
  release(method?: string): void {
    if (method === undefined) this.#methods.clear();
    else this.#methods.delete(method);
    const released = this.#held.filter((held) => method === undefined || held.method === method);
    this.#held = this.#held.filter((held) => !released.includes(held));
    for (const held of released) held.resolve();
  }

  reset(): void {
    this.#methods.clear();
    const error = new CoordinatorStoppedError();
    for (const held of this.#held.splice(0)) held.reject(error);
    for (const waiter of this.#arrivalWaiters.splice(0)) waiter.reject(error);
  }
}
