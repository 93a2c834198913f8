// HealthMonitor in its two roles with workers: the primary's decides (and logs each transition
// once); a worker's forwards its evidence and applies the primary's decisions, telling its own
// listeners so that it moves its own requests off a coordinator marked down.
import { describe, expect, it } from 'vitest';
import { ProxyError, type ErrorCode } from '../../src/errors.ts';
import { HealthMonitor, type HealthTransition } from '../../src/upstream/health-monitor.ts';
import { CoordinatorRegistry } from '../../src/upstream/registry.ts';
import { LogSink } from '../helpers/log-sink.ts';

const settings = () => ({ rise: 2, fall: 2, failureThreshold: 3, failureWindowMs: 10_000 });

function monitorFor(forwardFailure?: (name: string, code: ErrorCode, detail: string) => void) {
  const registry = new CoordinatorRegistry(() => 0);
  registry.obtain('c1');
  const log = new LogSink();
  const monitor = new HealthMonitor(registry, settings, log.logger, forwardFailure === undefined ? {} : { forwardFailure });
  const transitions: HealthTransition[] = [];
  monitor.onTransition((transition) => transitions.push(transition));
  return { registry, monitor, log, transitions };
}

describe('HealthMonitor with workers', () => {
  it('the deciding monitor steps on failures forwarded by workers, and logs the transition once', () => {
    const { registry, monitor, log, transitions } = monitorFor();
    monitor.observeForwardedFailure('c1', 'UPSTREAM_CONNECT_REFUSED', 'connect ECONNREFUSED');
    monitor.observeForwardedFailure('c1', 'UPSTREAM_CONNECT_REFUSED', 'connect ECONNREFUSED');
    expect(registry.get('c1')!.health.state).toBe('down');
    expect(transitions.map((t) => t.to)).toEqual(['down']);
    expect(log.lines.filter((l) => l.event === 'health')).toHaveLength(1);
  });

  it("a worker's monitor forwards evidence only, and never steps its own machine", () => {
    const forwarded: string[] = [];
    const { registry, monitor, transitions } = monitorFor((name, code) => forwarded.push(`${name} ${code}`));
    monitor.observeFailure('c1', new ProxyError('UPSTREAM_CONNECT_REFUSED', 'refused'));
    monitor.observeFailure('c1', new ProxyError('UPSTREAM_DOWN', 'marked down')); // the proxy's own failover: no evidence
    monitor.observeFailure('c1', new ProxyError('CLIENT_ABORTED', 'client left'));
    expect(forwarded).toEqual(['c1 UPSTREAM_CONNECT_REFUSED']);
    expect(registry.get('c1')!.health.state).toBe('up');
    expect(transitions).toEqual([]);
  });

  it("a worker's monitor applies the primary's machine and tells its listeners, without a log line of its own", () => {
    const { registry, monitor, log, transitions } = monitorFor(() => undefined);
    const down = { state: 'down' as const, sinceMs: 5, reason: 'probe refused', successes: 0, failures: 1, passive: [] };
    monitor.applyHealth('c1', down, { from: 'up', to: 'down', reason: 'probe refused' });
    expect(registry.get('c1')!.health).toEqual(down);
    expect(transitions).toEqual([{ coordinator: 'c1', from: 'up', to: 'down', reason: 'probe refused' }]);
    // A reset (a reload moved the name) is applied without a transition.
    monitor.applyHealth('c1', { ...down, state: 'up', reason: 'initial' }, undefined);
    expect(registry.get('c1')!.health.state).toBe('up');
    expect(transitions).toHaveLength(1);
    const quiescing: boolean[] = [];
    monitor.onQuiescingChange((_, isQuiescing) => quiescing.push(isQuiescing));
    monitor.applyQuiescing('c1', true);
    monitor.applyQuiescing('c1', true);
    expect(registry.get('c1')!.isQuiescing).toBe(true);
    expect(quiescing).toEqual([true]);
    monitor.applyHealth('unknown', down, { from: 'up', to: 'down', reason: 'x' }); // not configured here: ignored
    expect(log.lines.filter((l) => l.event === 'health' || l.event === 'quiescing')).toEqual([]);
  });

  it('the deciding monitor logs a quiescing change once, and tells its listeners as a worker does', () => {
    const { registry, monitor, log } = monitorFor();
    const quiescing: boolean[] = [];
    monitor.onQuiescingChange((_, isQuiescing) => quiescing.push(isQuiescing));
    monitor.setQuiescing('c1', true);
    monitor.setQuiescing('c1', true);
    monitor.setQuiescing('c1', false);
    expect(registry.get('c1')!.isQuiescing).toBe(false);
    expect(quiescing).toEqual([true, false]);
    expect(log.lines.filter((l) => l.event === 'quiescing').map((l) => l.isQuiescing)).toEqual([true, false]);
  });
});
