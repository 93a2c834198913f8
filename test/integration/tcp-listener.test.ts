// TCP listeners (DESIGN §10, issue 13): binary HS2 clients through the proxy's TCP front end to the
// simulator's binary hs2 port. The connection is the affinity: a coordinator is chosen at connect,
// least-connections sees every front end's load, source-ip keeps a client address on one
// coordinator (Hue), one access line per connection when it ends, metrics and status rows.
import { afterEach, describe, expect, it } from 'vitest';
import type { Hs2BinaryClient } from '../helpers/hs2-client.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import type { Harness } from '../helpers/proxy-harness.ts';
import { BinaryClients, sessionHome, startTcpHarness, tcpAccessLines as tcpLines, type TcpListenerInput } from '../helpers/tcp-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
const binary = new BinaryClients();
const clients: { close(): void }[] = [];
afterEach(async () => {
  binary.closeAll();
  for (const client of clients.splice(0)) client.close();
  await harness?.close();
  harness = undefined;
});

const tcpHarness = async (listener: Partial<TcpListenerInput> = {}) => (harness = await startTcpHarness(listener));
const binaryClient = (h: Harness, options: { localAddress?: string } = {}): Hs2BinaryClient => binary.connect(h, options);

describe('TCP listener', () => {
  it('least-connections spreads connections, each session lives on its connection, one access line per connection', async () => {
    const h = await tcpHarness();
    const connected = Array.from({ length: 6 }, () => binaryClient(h));
    const homes = [];
    for (const client of connected) homes.push(await sessionHome(client));
    expect(countBy(homes)).toEqual({ 'coordinator-1': 2, 'coordinator-2': 2, 'coordinator-3': 2 });
    // The same session keeps working on its connection, many RPCs long.
    for (let i = 0; i < 5; i++) expect(String((await connected[0]!.query('select 1')).rows[0]![0])).toBe(homes[0]);

    const listener = h.proxy.status().tcpListeners[0]!;
    expect(listener).toMatchObject({ name: 'hs2', open: 6, byCoordinator: { 'coordinator-1': 2, 'coordinator-2': 2, 'coordinator-3': 2 }, tls: 'none', policy: 'least-connections' });
    for (const client of connected) client.close();
    await waitFor(() => tcpLines(h).length === 6, { what: 'six tcp access lines' });
    for (const line of tcpLines(h)) {
      expect(line).toMatchObject({ listener: 'hs2', end: 'client-closed', client: '127.0.0.1' });
      expect(line.bytesIn as number).toBeGreaterThan(0);
      expect(line.bytesOut as number).toBeGreaterThan(0);
    }
    const metric = await h.proxy.metrics.registry.getSingleMetric('impala_ha_proxy_tcp_connections_total')!.get();
    expect(metric.values.reduce((sum, v) => sum + v.value, 0)).toBe(6);
    expect(h.proxy.status().tcpListeners[0]!.open).toBe(0);
  });

  it('least-connections counts hs2-http sessions too: new TCP connections avoid the coordinator that carries them', async () => {
    const h = await tcpHarness();
    // Two hs2-http sessions pinned to one coordinator (the second client copies the first's cookie).
    const http = new Hs2Client({ url: h.url, tls: { ca: readCert('ca.pem') } });
    const http2 = new Hs2Client({ url: h.url, tls: { ca: readCert('ca.pem') } });
    clients.push(http, http2);
    assertSuccess((await http.openSession()).status);
    const busy = h.proxy.coordinators.tokens.lookup(http.cookies.get('impala.session.id')!)!.name;
    http2.jar.store([`impala.session.id=${http.cookies.get('impala.session.id')}; Path=/`]);
    assertSuccess((await http2.openSession()).status);
    expect(h.proxy.coordinators.byName(busy)!.sessions).toBe(2);

    const homes = [];
    for (let i = 0; i < 4; i++) homes.push(await sessionHome(binaryClient(h)));
    // Loads: busy 2 sessions, the others 0: four connections go 2 and 2 to the others first.
    expect(homes).not.toContain(busy);
    expect(new Set(homes).size).toBe(2);
  });

  it('source-ip keeps each client address on one coordinator (Hue), and different addresses spread', async () => {
    const h = await tcpHarness({ policy: 'source-ip' });
    const byAddress = new Map<string, Set<string>>();
    for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7']) {
      const homes = new Set<string>();
      for (let i = 0; i < 3; i++) homes.add(await sessionHome(binaryClient(h, { localAddress: address })));
      byAddress.set(address, homes);
    }
    for (const [address, homes] of byAddress) expect(homes.size, address).toBe(1);
    expect(new Set([...byAddress.values()].map((homes) => [...homes][0])).size).toBeGreaterThan(1);
    expect(tcpLines(h)).toEqual([]); // all still open
  });

  it('round-robin takes turns', async () => {
    const h = await tcpHarness({ policy: 'round-robin' });
    const homes = [];
    for (let i = 0; i < 6; i++) homes.push(await sessionHome(binaryClient(h)));
    expect(homes.slice(0, 3).sort()).toEqual(['coordinator-1', 'coordinator-2', 'coordinator-3']);
    expect(homes.slice(3)).toEqual(homes.slice(0, 3));
  });

  it('closes a connection idle for longer than clientIdleTimeoutMs, and says so', async () => {
    const h = await tcpHarness({ clientIdleTimeoutMs: 300 });
    const client = binaryClient(h);
    await sessionHome(client);
    await waitFor(() => tcpLines(h)[0], { what: 'the idle connection closed' });
    expect(tcpLines(h)[0]).toMatchObject({ end: 'client-idle' });
    expect(client.isConnected).toBe(false);
  });
});

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
