// The coordinators a request may go to, in the order the balancing policy prefers them (cf.
// pingora's candidate iterator): routing takes the first for a new pin, a replay or a re-pin
// after a failure takes the next. One iterator per request, so all three read the same way.
//
// Candidates come from the generation current at the time of asking: a request in flight across a
// reload fails over to the coordinators and pools that serve now, not to a retired generation's.
import type { PickContext, Policy } from '../balancer/index.ts';
import type { Coordinator } from '../upstream/coordinator.ts';
import type { CoordinatorSet } from '../upstream/coordinator-set.ts';

/** What a generation offers for choosing: its coordinators and its balancing policy. */
export interface Routing {
  readonly coordinators: CoordinatorSet;
  readonly policy: Policy;
}

export class Candidates {
  readonly #routing: () => Routing;
  readonly #context: PickContext;
  /** Names of the coordinators this request was sent to (one, nearly always). */
  readonly #tried: string[] = [];

  constructor(routing: () => Routing, context: PickContext) {
    this.#routing = routing;
    this.#context = context;
  }

  /** The policy's choice among the available coordinators this request has not been sent to. */
  next(): Coordinator | undefined {
    const { coordinators, policy } = this.#routing();
    return policy.pick(coordinators.available(this.#tried), this.#context);
  }

  markTried(coordinator: Coordinator): void {
    this.#tried.push(coordinator.name);
  }
}
