// The health state machine (src/upstream/health-machine.ts): rise/fall hysteresis for probe
// rounds, a sliding window for request failures, a refused connect as proof at once.
import { describe, expect, it } from 'vitest';
import { initialHealth, stepHealth, type HealthInput, type HealthMachine } from '../../src/upstream/health-machine.ts';

const settings = { rise: 2, fall: 3, failureThreshold: 3, failureWindowMs: 10_000 };
const good: HealthInput = { kind: 'probe', isUp: true, detail: '/healthz answered 200' };
const bad: HealthInput = { kind: 'probe', isUp: false, isRefused: false, detail: '/healthz: no answer within 1000 ms' };
const refused: HealthInput = { kind: 'probe', isUp: false, isRefused: true, detail: '/healthz: ECONNREFUSED: connect ECONNREFUSED' };
const reset: HealthInput = { kind: 'request-failure', code: 'UPSTREAM_RESET', detail: 'connection lost' };

/** Feeds inputs at the given times; returns the final machine and every transition, in order. */
function run(inputs: readonly [number, HealthInput][], start: HealthMachine = initialHealth(0)) {
  let machine = start;
  const changes: string[] = [];
  for (const [atMs, input] of inputs) {
    const step = stepHealth(machine, input, settings, atMs);
    machine = step.machine;
    if (step.change) changes.push(`${atMs}: ${step.change.from}→${step.change.to} (${step.change.reason})`);
  }
  return { machine, changes };
}

describe('stepHealth', () => {
  it('starts up and needs `fall` failed probe rounds in a row to go down', () => {
    expect(initialHealth(5)).toMatchObject({ state: 'up', sinceMs: 5, reason: 'initial' });
    expect(run([[1, bad], [2, bad]]).changes).toEqual([]);
    const { machine, changes } = run([[1, bad], [2, bad], [3, bad]]);
    expect(changes).toEqual(['3: up→down (3 failed probes: /healthz: no answer within 1000 ms)']);
    expect(machine).toMatchObject({ state: 'down', sinceMs: 3 });
  });

  it('a good round in between starts the count again (no flap on a lone failure)', () => {
    expect(run([[1, bad], [2, bad], [3, good], [4, bad], [5, bad]]).changes).toEqual([]);
  });

  it('goes down on one refused probe: nothing listens', () => {
    expect(run([[7, refused]]).changes).toEqual(['7: up→down (probe refused: /healthz: ECONNREFUSED: connect ECONNREFUSED)']);
  });

  it('needs `rise` good rounds in a row to come back, and says how many', () => {
    const { changes } = run([[1, refused], [2, good], [3, bad], [4, good], [5, good]]);
    expect(changes).toEqual(['1: up→down (probe refused: /healthz: ECONNREFUSED: connect ECONNREFUSED)', '5: down→up (2 good probes: /healthz answered 200)']);
  });

  it('counts request failures in a sliding window; a refused connect is enough alone', () => {
    expect(run([[0, reset], [5_000, reset], [10_001, reset]]).changes).toEqual([]); // the first fell out of the window
    expect(run([[0, reset], [5_000, reset], [9_999, reset]]).changes).toEqual(['9999: up→down (passive: 3 failures within 10000 ms, last UPSTREAM_RESET)']);
    expect(run([[3, { kind: 'request-failure', code: 'UPSTREAM_CONNECT_REFUSED', detail: 'connect failed to c1: ECONNREFUSED' }]]).changes).toEqual([
      '3: up→down (passive: connect failed to c1: ECONNREFUSED)',
    ]);
  });

  it('ignores request failures while down, and forgets old ones when it comes back', () => {
    const { machine, changes } = run([[0, reset], [1, reset], [2, refused], [3, reset], [4, good], [5, good], [6, reset], [7, reset]]);
    expect(changes).toHaveLength(2); // down at 2, up at 5; the failures at 0 and 1 do not count after that
    expect(machine).toMatchObject({ state: 'up', passive: [6, 7] });
  });

  it('never changes state without a transition record (one event per change)', () => {
    const inputs: [number, HealthInput][] = [];
    const kinds = [good, bad, refused, reset];
    let seed = 7;
    for (let i = 0; i < 2_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      inputs.push([i * 100, kinds[seed % kinds.length]!]);
    }
    let machine = initialHealth(0);
    for (const [atMs, input] of inputs) {
      const step = stepHealth(machine, input, settings, atMs);
      expect(step.machine.state !== machine.state).toBe(step.change !== undefined);
      if (step.change) expect(step.change).toMatchObject({ from: machine.state, to: step.machine.state });
      machine = step.machine;
    }
  });
});
