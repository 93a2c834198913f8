// Process lifetime: the one writer of every coordinator's health, quiescing flag and last probe.
// Probe rounds and /backends?json answers (from the current generation's Prober) and request
// failures (from the hs2 path and from TCP connects) go in; transitions and quiescing changes come
// out as events, once each, whichever path noticed them. A transition never feeds back: what the
// proxy does because of it (moving requests off a coordinator marked down) fails with
// UPSTREAM_DOWN, which is not evidence (src/errors.ts).
//
// With workers (src/cluster/) the primary's monitor is the one that decides: a worker's monitor
// forwards the evidence its requests produce (forwardFailure) and applies what the primary
// decided (applyHealth, applyQuiescing, called only by the worker's sync channel). Deciding and
// applying write through the same #setHealth and #setQuiescing and tell the same listeners, so
// that each worker moves its own requests off a coordinator marked down; only a decision is
// logged, so each change has one line however many processes apply it.
import type { CoordinatorConfig } from '../config/schema.ts';
import type { ErrorCode, ProxyError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { initialHealth, stepHealth, type HealthInput, type HealthMachine, type HealthSettings, type HealthState } from './health-machine.ts';
import type { CoordinatorRegistry, CoordinatorState, ProbeResult } from './registry.ts';

export interface HealthTransition {
  readonly coordinator: string;
  readonly from: HealthState;
  readonly to: HealthState;
  readonly reason: string;
}

type HealthChange = Omit<HealthTransition, 'coordinator'>;

/** A probe round's verdict: the web UI check and, when configured, the hs2 liveness check together. */
export interface ProbeRound extends ProbeResult {
  /** A failed round's connection was refused (nothing listens). */
  readonly isRefused: boolean;
}

export interface HealthMonitorOptions {
  /** A worker's monitor: evidence goes to the primary's monitor instead of this process's machines. */
  readonly forwardFailure?: (name: string, code: ErrorCode, detail: string) => void;
}

export class HealthMonitor {
  readonly #registry: CoordinatorRegistry;
  readonly #settings: () => HealthSettings;
  readonly #logger: Logger;
  readonly #forwardFailure: ((name: string, code: ErrorCode, detail: string) => void) | undefined;
  readonly #healthListeners: ((transition: HealthTransition) => void)[] = [];
  readonly #quiescingListeners: ((coordinator: string, isQuiescing: boolean) => void)[] = [];

  /** `settings`: read at each step, so a reload's new rise/fall/window apply at once. */
  constructor(registry: CoordinatorRegistry, settings: () => HealthSettings, logger: Logger, options: HealthMonitorOptions = {}) {
    this.#registry = registry;
    this.#settings = settings;
    this.#logger = logger;
    this.#forwardFailure = options.forwardFailure;
  }

  onTransition(listener: (transition: HealthTransition) => void): void {
    this.#healthListeners.push(listener);
  }

  onQuiescingChange(listener: (coordinator: string, isQuiescing: boolean) => void): void {
    this.#quiescingListeners.push(listener);
  }

  observeProbe(name: string, round: ProbeRound): void {
    const state = this.#registry.get(name);
    if (state === undefined) return;
    state.lastProbe = { isUp: round.isUp, detail: round.detail, atMs: round.atMs, durationMs: round.durationMs };
    this.#step(name, round.isUp ? { kind: 'probe', isUp: true, detail: round.detail } : { kind: 'probe', isUp: false, isRefused: round.isRefused, detail: round.detail });
  }

  /** Passive health. The caller passes only first-attempt failures; this keeps only evidence. */
  observeFailure(name: string, error: ProxyError): void {
    if (!error.isEvidence) return;
    if (this.#forwardFailure !== undefined) this.#forwardFailure(name, error.code, error.message);
    else this.observeForwardedFailure(name, error.code, error.message);
  }

  /** Evidence a worker's request produced (already filtered there, as in observeFailure). */
  observeForwardedFailure(name: string, code: ErrorCode, detail: string): void {
    this.#step(name, { kind: 'request-failure', code, detail });
  }

  /** A worker: the primary's monitor set this coordinator's machine (a transition, or a reset). */
  applyHealth(name: string, machine: HealthMachine, change: HealthChange | undefined): void {
    const state = this.#registry.get(name);
    if (state !== undefined) this.#setHealth(state, machine, change, false);
  }

  /** A worker: the primary's monitor saw the coordinator start or stop quiescing. */
  applyQuiescing(name: string, isQuiescing: boolean): void {
    this.#setQuiescing(name, isQuiescing, false);
  }

  /** The prober: /backends?json says whether the coordinator quiesces. */
  setQuiescing(name: string, isQuiescing: boolean): void {
    this.#setQuiescing(name, isQuiescing, true);
  }

  /** A reload pointed this name at another address: what was known about the old one is void. */
  reset(name: string): void {
    const state = this.#registry.get(name);
    if (state === undefined) return;
    state.health = initialHealth(Date.now());
    state.lastProbe = undefined;
    state.isQuiescing = false;
  }

  #step(name: string, input: HealthInput): void {
    const state = this.#registry.get(name);
    if (state === undefined) return;
    const step = stepHealth(state.health, input, this.#settings(), Date.now());
    this.#setHealth(state, step.machine, step.change, true);
  }

  /**
   * Writes the machine and tells the listeners of a transition. `isDecided`: this monitor stepped
   * it, rather than a worker applying the primary's; only a decision is logged, one line each.
   */
  #setHealth(state: CoordinatorState, machine: HealthMachine, change: HealthChange | undefined, isDecided: boolean): void {
    state.health = machine;
    if (change === undefined) return;
    const transition = { coordinator: state.name, ...change };
    if (isDecided) this.#logger.warn({ event: 'health', coordinator: state.name, health: transition.to, reason: transition.reason }, `coordinator ${state.name} is ${transition.to}: ${transition.reason}`);
    for (const listener of this.#healthListeners) listener(transition);
  }

  /** Writes the flag when it changes and tells the listeners; logged only when `isDecided`, as in #setHealth. */
  #setQuiescing(name: string, isQuiescing: boolean, isDecided: boolean): void {
    const state = this.#registry.get(name);
    if (state === undefined || state.isQuiescing === isQuiescing) return;
    state.isQuiescing = isQuiescing;
    if (isDecided) this.#logger.warn({ event: 'quiescing', coordinator: name, isQuiescing }, `coordinator ${name} ${isQuiescing ? 'is quiescing: draining it' : 'stopped quiescing'}`);
    for (const listener of this.#quiescingListeners) listener(name, isQuiescing);
  }
}

/**
 * A reload's swap, before its generation serves (one process and the primary alike): what was known
 * about a name the reload pointed at another address is void, and an operator override that the new
 * config contradicts is dropped.
 */
export function reconcileRegistry(monitor: HealthMonitor, registry: CoordinatorRegistry, retargeted: readonly string[], coordinators: readonly CoordinatorConfig[]): void {
  for (const name of retargeted) monitor.reset(name);
  registry.reconcileOverrides(coordinators);
}
