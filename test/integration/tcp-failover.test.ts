// TCP listeners under failure (issue 13 items 3-4): a connect that fails before any client byte
// reached a coordinator moves to the next one; a coordinator marked down or disabled has its
// connections closed at once (HAProxy's on-marked-down shutdown-sessions), so a client blocked on a
// frozen coordinator gets a transport error instead of hanging; drain keeps them; backups take new
// connections only while no primary is available.
import { afterEach, describe, expect, it } from 'vitest';
import { Hs2TransportError, type Hs2BinaryClient } from '../helpers/hs2-client.ts';
import type { Harness, HarnessOptions } from '../helpers/proxy-harness.ts';
import { BinaryClients, sessionHome, startTcpHarness, tcpAccessLines as tcpLines, type TcpListenerInput } from '../helpers/tcp-harness.ts';
import { waitFor, withDeadline } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
const binary = new BinaryClients();
afterEach(async () => {
  binary.closeAll();
  await harness?.close();
  harness = undefined;
});

const tcpHarness = async (listener: Partial<TcpListenerInput> = {}, options: HarnessOptions = {}) => (harness = await startTcpHarness(listener, options));
const binaryClient = (h: Harness): Hs2BinaryClient => binary.connect(h);

/** Connects clients until one lands on each coordinator; returns them by coordinator name. */
async function oneOnEach(h: Harness): Promise<Map<string, Hs2BinaryClient>> {
  const byHome = new Map<string, Hs2BinaryClient>();
  while (byHome.size < h.cluster.coordinators.length) {
    const client = binaryClient(h);
    const home = await sessionHome(client);
    if (!byHome.has(home)) byHome.set(home, client);
  }
  return byHome;
}


describe('TCP listener failover', () => {
  it('a frozen coordinator: the proxy closes its connections when it is marked down; the blocked client fails and reconnects elsewhere', async () => {
    const h = await tcpHarness();
    const byHome = await oneOnEach(h);
    const [victimName, victimClient] = [...byHome][0]!;
    const victim = h.cluster.coordinators.find((c) => c.name === victimName)!;

    victim.freeze();
    // impyla would wait forever here: it has no timeout of its own.
    const blocked = victimClient.query('select 1').then(() => undefined, (error: unknown) => error);
    await waitFor(() => h.proxy.coordinators.byName(victimName)!.health === 'down', { what: `${victimName} marked down`, timeoutMs: 10_000 });
    const error = await withDeadline(blocked, 3_000, 'the blocked RPC');
    expect(error).toBeInstanceOf(Hs2TransportError);
    await waitFor(() => tcpLines(h).find((line) => line.coordinator === victimName), { what: 'its access line' });
    expect(tcpLines(h).find((line) => line.coordinator === victimName)).toMatchObject({ end: 'coordinator-down' });
    // The other connections were not touched.
    for (const [name, client] of byHome) if (name !== victimName) expect(String((await client.query('select 1')).rows[0]![0])).toBe(name);
    // What the client does next: a new connection, which goes to a healthy coordinator.
    expect(await sessionHome(binaryClient(h))).not.toBe(victimName);
    const ends = await h.proxy.metrics.registry.getSingleMetric('impala_ha_proxy_tcp_connection_ends_total')!.get();
    expect(ends.values.find((v) => v.labels.end === 'coordinator-down')?.value).toBe(1);
    victim.unfreeze();
  });

  it('a stopped coordinator: its connections end, and a connect that is refused moves to the next coordinator', async () => {
    // Slow probes: only the connect path notices the stop.
    const h = await tcpHarness({}, { config: { health: { intervalMs: 60_000, timeoutMs: 1_000, rise: 1, fall: 3 } } });
    const byHome = await oneOnEach(h);
    const [victimName, victimClient] = [...byHome][0]!;
    const victim = h.cluster.coordinators.find((c) => c.name === victimName)!;
    await victim.stop();
    await expect(victimClient.query('select 1')).rejects.toMatchObject({ code: expect.stringMatching(/^(HS2_CONNECTION_CLOSED|ECONNRESET|EPIPE)$/) });
    // Least-connections now prefers the victim (it carries nothing): the connect is refused there,
    // and the connection is carried by another coordinator. Nothing reached the stopped one.
    const next = binaryClient(h);
    expect(await sessionHome(next)).not.toBe(victimName);
    await waitFor(() => h.proxy.coordinators.byName(victimName)!.health === 'down', { what: 'down after the refused connect' });
    next.close();
    await waitFor(() => tcpLines(h).find((line) => line.failed !== undefined), { what: 'the retried connection ended' });
    expect(tcpLines(h).find((line) => line.failed !== undefined)).toMatchObject({ failed: [victimName], end: 'client-closed' });
    const retries = await h.proxy.metrics.registry.getSingleMetric('impala_ha_proxy_tcp_retries_total')!.get();
    expect(retries.values[0]?.value).toBe(1);
  });

  it('drain keeps existing connections and sends new ones elsewhere; disable closes them', async () => {
    const h = await tcpHarness();
    const byHome = await oneOnEach(h);
    const [name, client] = [...byHome][0]!;
    h.proxy.setOperatorState(name, 'drain', 'test');
    expect(String((await client.query('select 1')).rows[0]![0])).toBe(name);
    for (let i = 0; i < 4; i++) expect(await sessionHome(binaryClient(h))).not.toBe(name);
    h.proxy.setOperatorState(name, 'disable', 'test');
    await expect(client.query('select 1')).rejects.toBeInstanceOf(Hs2TransportError);
    await waitFor(() => tcpLines(h).find((line) => line.coordinator === name), { what: 'its access line' });
    expect(tcpLines(h).find((line) => line.coordinator === name)).toMatchObject({ end: 'disabled' });
  });

  it('backups take new connections only while no primary is available, and keep them when a primary returns', async () => {
    const h = await tcpHarness({}, { config: { health: { intervalMs: 300, timeoutMs: 250, rise: 1, fall: 1 } } });
    const backupName = h.cluster.coordinators[2]!.name;
    await h.proxy.reload(
      (await import('../../src/config/load.ts')).validateConfig({
        ...(await import('../helpers/proxy-harness.ts')).harnessConfig(h.cluster, { tcp: [{ name: 'hs2', host: '127.0.0.1', port: h.proxy.tcpListeners[0]!.port }], health: { intervalMs: 300, timeoutMs: 250, rise: 1, fall: 1 } }),
        coordinators: h.cluster.coordinators.map((c, i) => ({ name: c.name, host: '127.0.0.1', hs2HttpPort: c.hs2HttpPort, hs2Port: c.hs2TcpPort, webuiPort: c.webuiPort, backup: i === 2 })),
      }),
    );
    const homes = [];
    for (let i = 0; i < 4; i++) homes.push(await sessionHome(binaryClient(h)));
    expect(homes).not.toContain(backupName);

    const [first, second] = h.cluster.coordinators;
    await Promise.all([first!.stop(), second!.stop()]);
    await waitFor(() => h.proxy.coordinators.available().map((c) => c.name).join() === backupName, { what: 'only the backup available' });
    const onBackup = binaryClient(h);
    expect(await sessionHome(onBackup)).toBe(backupName);

    await first!.start();
    await waitFor(() => h.proxy.coordinators.byName(first!.name)!.health === 'up', { what: `${first!.name} up again` });
    expect(await sessionHome(binaryClient(h))).toBe(first!.name);
    // The connection on the backup stays where it is.
    expect(String((await onBackup.query('select 1')).rows[0]![0])).toBe(backupName);
  });
});
