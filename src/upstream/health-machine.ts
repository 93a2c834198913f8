// A coordinator's health as a pure state machine (DESIGN §5, STYLE rule 2): HAProxy's rise/fall
// hysteresis for probe rounds, a sliding window for passive failures, and "nothing listens" as
// proof enough at once. No timers, no I/O: HealthMonitor feeds it and acts on the transitions.
import type { ErrorCode } from '../errors.ts';

export type HealthState = 'up' | 'down';

export interface HealthSettings {
  readonly rise: number;
  readonly fall: number;
  readonly failureThreshold: number;
  readonly failureWindowMs: number;
}

export interface HealthMachine {
  readonly state: HealthState;
  readonly sinceMs: number;
  readonly reason: string;
  /** Consecutive good probe rounds (counts towards `rise` while down). */
  readonly successes: number;
  /** Consecutive failed probe rounds (counts towards `fall` while up). */
  readonly failures: number;
  /** Times of passive failures inside the window, oldest first. */
  readonly passive: readonly number[];
}

/** What can be learnt about a coordinator: one probe round, or one request's failure. */
export type HealthInput =
  | { readonly kind: 'probe'; readonly isUp: true; readonly detail: string }
  /** `isRefused`: the connection was refused (nothing listens), not a timeout or a bad answer. */
  | { readonly kind: 'probe'; readonly isUp: false; readonly isRefused: boolean; readonly detail: string }
  | { readonly kind: 'request-failure'; readonly code: ErrorCode; readonly detail: string };

export interface HealthStep {
  readonly machine: HealthMachine;
  /** Set when the state changed. */
  readonly change?: { readonly from: HealthState; readonly to: HealthState; readonly reason: string };
}

/** Coordinators start up: the first probe round follows at once, and the request path would notice a dead one. */
export function initialHealth(nowMs: number): HealthMachine {
  return { state: 'up', sinceMs: nowMs, reason: 'initial', successes: 0, failures: 0, passive: [] };
}

export function stepHealth(machine: HealthMachine, input: HealthInput, settings: HealthSettings, nowMs: number): HealthStep {
  switch (input.kind) {
    case 'probe':
      return input.isUp ? probeSucceeded(machine, input.detail, settings, nowMs) : probeFailed(machine, input.isRefused, input.detail, settings, nowMs);
    case 'request-failure':
      return requestFailed(machine, input.code, input.detail, settings, nowMs);
  }
}

function probeSucceeded(machine: HealthMachine, detail: string, settings: HealthSettings, nowMs: number): HealthStep {
  const successes = machine.successes + 1;
  if (machine.state === 'down' && successes >= settings.rise) {
    return transition({ ...machine, successes, failures: 0, passive: [] }, 'up', `${successes} good probes: ${detail}`, nowMs);
  }
  return { machine: { ...machine, successes, failures: 0 } };
}

function probeFailed(machine: HealthMachine, isRefused: boolean, detail: string, settings: HealthSettings, nowMs: number): HealthStep {
  const failures = machine.failures + 1;
  const next = { ...machine, successes: 0, failures };
  if (machine.state === 'down') return { machine: next };
  // A refused connect is not a flap: nothing listens on the port. Waiting for `fall` rounds kept a
  // crashed coordinator with no traffic "up" for fall × interval (4–6 s with the defaults).
  if (isRefused) return transition(next, 'down', `probe refused: ${detail}`, nowMs);
  if (failures >= settings.fall) return transition(next, 'down', `${failures} failed probes: ${detail}`, nowMs);
  return { machine: next };
}

function requestFailed(machine: HealthMachine, code: ErrorCode, detail: string, settings: HealthSettings, nowMs: number): HealthStep {
  if (machine.state === 'down') return { machine };
  if (code === 'UPSTREAM_CONNECT_REFUSED') return transition({ ...machine, successes: 0 }, 'down', `passive: ${detail}`, nowMs);
  const windowStart = nowMs - settings.failureWindowMs;
  const passive = [...machine.passive.filter((atMs) => atMs >= windowStart), nowMs];
  if (passive.length >= settings.failureThreshold) {
    return transition({ ...machine, successes: 0, passive }, 'down', `passive: ${passive.length} failures within ${settings.failureWindowMs} ms, last ${code}`, nowMs);
  }
  return { machine: { ...machine, passive } };
}

function transition(machine: HealthMachine, to: HealthState, reason: string, nowMs: number): HealthStep {
  return { machine: { ...machine, state: to, sinceMs: nowMs, reason }, change: { from: machine.state, to, reason } };
}
