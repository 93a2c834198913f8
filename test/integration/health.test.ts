// Health as events (DESIGN §5): each state change of a coordinator is exactly one `event: 'health'`
// log line whichever path noticed it (a refused connect, failed probes, both), a single failed
// probe flaps nothing (fall 2), and with `health.watchQuiescing` a quiescing impalad (seen in
// /backends?json while /healthz still answers 200) is drained.
import { afterEach, describe, expect, it } from 'vitest';
import { StatusCode } from '../../src/tools/thrift/hs2.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client } from '../helpers/hs2-client.ts';
import type { LogLine } from '../helpers/log-sink.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** Fast probes, with a timeout a loaded CI machine does not miss (a spurious failed probe would flap). */
const fastHealth = { intervalMs: 300, timeoutMs: 280, rise: 2, fall: 2 };

let harness: Harness | undefined;
const clients: Hs2Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await harness?.close();
  harness = undefined;
});

function connect(h: Harness): Hs2Client {
  const client = new Hs2Client({ url: h.url, tls: { ca: readCert('ca.pem') } });
  clients.push(client);
  return client;
}

async function whereIs(client: Hs2Client): Promise<string> {
  return String((await client.query('select 1')).rows[0]![0]);
}

const healthEvents = (h: Harness, name: string): LogLine[] => h.log.lines.filter((line) => line.event === 'health' && line.coordinator === name);

describe('health events', () => {
  it('stop (noticed by a refused RPC and by probes) and restart: exactly one down and one up line', async () => {
    const h = (harness = await startHarness({ config: { health: fastHealth } }));
    const client = connect(h);
    await client.openSession();
    const name = await whereIs(client);
    const victim = h.cluster.coordinators.find((c) => c.name === name)!;
    const coordinator = h.proxy.coordinators.byName(name)!;

    await victim.stop();
    await client.ping(); // refused → down at once, replayed to a peer
    expect(coordinator.health).toBe('down');
    // Let the probes fail past `fall` too: they must not log the same change again.
    await waitFor(() => (coordinator.lastProbe?.atMs ?? 0) > Date.now() - 100 && !coordinator.lastProbe!.isUp, { what: 'a failed probe' });
    const probedAt = coordinator.lastProbe!.atMs;
    await waitFor(() => coordinator.lastProbe!.atMs > probedAt + 500, { what: 'two more probes' });

    await victim.start();
    await waitFor(() => coordinator.health === 'up', { what: `${name} up` });
    const events = healthEvents(h, name);
    expect(events.map((line) => line.health)).toEqual(['down', 'up']);
    // Whichever notices first says so: the refused RPC, or a probe refused in between (also down at once).
    expect(events[0]!.reason).toMatch(/^(passive: connect failed|probe refused)/);
    expect(events[1]!.reason).toMatch(/^2 good probes/);
    for (const other of h.proxy.coordinators.all) if (other.name !== name) expect(healthEvents(h, other.name)).toEqual([]);
  });

  it('a single failed probe changes nothing (fall 2); two in a row mark it down, one line each way', async () => {
    const h = (harness = await startHarness({ coordinators: 2, config: { health: fastHealth } }));
    const [sim] = h.cluster.coordinators;
    const coordinator = h.proxy.coordinators.byName(sim!.name)!;
    await waitFor(() => coordinator.lastProbe?.isUp, { what: 'a good probe' });

    sim!.setHealthy(false);
    await waitFor(() => coordinator.lastProbe?.isUp === false, { what: 'a failed probe' });
    sim!.setHealthy(true);
    await waitFor(() => coordinator.lastProbe?.isUp, { what: 'a good probe again' });
    expect(coordinator.health).toBe('up');
    expect(healthEvents(h, sim!.name)).toEqual([]);

    sim!.setHealthy(false);
    await waitFor(() => coordinator.health === 'down', { what: 'down after 2 failed probes' });
    expect(healthEvents(h, sim!.name)).toMatchObject([{ health: 'down', reason: expect.stringMatching(/^2 failed probes: \/healthz answered 503/) }]);
    sim!.setHealthy(true);
    await waitFor(() => coordinator.health === 'up', { what: 'up after 2 good probes' });
    expect(healthEvents(h, sim!.name).map((line) => line.health)).toEqual(['down', 'up']);
  });

  it('watchQuiescing: a quiescing coordinator is drained (one event), its pinned client re-pinned at OpenSession', async () => {
    const h = (harness = await startHarness({ config: { health: { ...fastHealth, watchQuiescing: true } } }));
    const client = connect(h);
    await client.openSession();
    const name = await whereIs(client);
    const sim = h.cluster.coordinators.find((c) => c.name === name)!;
    const coordinator = h.proxy.coordinators.byName(name)!;

    sim.quiesce();
    await waitFor(() => coordinator.isQuiescing, { what: 'quiescing seen' });
    expect(coordinator.health).toBe('up');
    expect(coordinator.isAvailable).toBe(false);
    expect(coordinator.acceptsPinned).toBe(true);
    expect((await client.ping()).status.statusCode).toBe(StatusCode.SUCCESS); // still served there

    for (let i = 0; i < 3; i++) {
      const fresh = connect(h);
      await fresh.openSession();
      expect(await whereIs(fresh)).not.toBe(name);
    }
    expect((await client.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    expect(h.log.access().at(-1)).toMatchObject({ rpc: 'OpenSession', affinity: 'repinned', reason: 'draining' });
    expect(await whereIs(client)).not.toBe(name);

    sim.quiesce(false);
    await waitFor(() => !coordinator.isQuiescing, { what: 'quiescing over' });
    const quiescing = h.log.lines.filter((line) => line.event === 'quiescing' && line.coordinator === name);
    expect(quiescing.map((line) => line.isQuiescing)).toEqual([true, false]);
    expect(healthEvents(h, name)).toEqual([]);
  });
});
