// Issue 11, smaller items about active probes: (1) a probe refused outright still needed `fall`
// probes, so a crashed coordinator with no traffic stayed "up" for fall × interval although the
// request path would have marked it down at once; (2) a probe timeout was logged as
// "23: The operation was aborted due to timeout" (the DOMException's numeric code read as an
// error code).
import { afterEach, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

it('one refused probe marks a coordinator down, with no traffic', async () => {
  // fall 5 at 300 ms: five failed rounds would take 1.5 s; one refused round is enough.
  const h = (harness = await startHarness({ coordinators: 2, config: { health: { intervalMs: 300, timeoutMs: 250, rise: 2, fall: 5 } } }));
  const [victim] = h.cluster.coordinators;
  const coordinator = h.proxy.coordinators.byName(victim!.name)!;
  await waitFor(() => coordinator.lastProbe?.isUp, { what: 'a good probe' });
  await victim!.stop();
  await waitFor(() => coordinator.health === 'down', { what: 'down', timeoutMs: 10_000 });
  const events = h.log.lines.filter((l) => l.event === 'health' && l.coordinator === victim!.name);
  expect(events).toHaveLength(1);
  expect(events[0]!.reason).toMatch(/^probe refused: \/healthz: ECONNREFUSED/);
});

it('a probe that times out says so in words', async () => {
  const h = (harness = await startHarness({ coordinators: 2, config: { health: { intervalMs: 400, timeoutMs: 200, rise: 2, fall: 2 } } }));
  const [victim] = h.cluster.coordinators;
  const coordinator = h.proxy.coordinators.byName(victim!.name)!;
  await waitFor(() => coordinator.lastProbe?.isUp, { what: 'a good probe' });
  victim!.freeze();
  await waitFor(() => coordinator.lastProbe?.isUp === false, { what: 'a failed probe' });
  expect(coordinator.lastProbe!.detail).toBe('/healthz: no answer within 200 ms');
  victim!.unfreeze();
});
