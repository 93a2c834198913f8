// The TCP listener metrics of /metrics (the admin listener's exposition) follow real binary HS2
// connections: open connections and accepted connections by listener and coordinator, then each
// end counted under its `end` once the connection is gone, and its bytes against its coordinator.
import { afterEach, expect, it } from 'vitest';
import { parseExposition, pick, type Sample } from '../helpers/exposition.ts';
import type { Harness } from '../helpers/proxy-harness.ts';
import { BinaryClients, sessionHome, startTcpHarness } from '../helpers/tcp-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
const binary = new BinaryClients();
afterEach(async () => {
  binary.closeAll();
  await harness?.close();
  harness = undefined;
});

async function scrape(h: Harness): Promise<Sample[]> {
  const response = await fetch(`${h.proxy.adminUrl()}/metrics`);
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

const open = (samples: Sample[], coordinator: string) => pick(samples, 'impala_ha_proxy_tcp_open_connections', { listener: 'hs2', coordinator });
const accepted = (samples: Sample[], coordinator: string) => pick(samples, 'impala_ha_proxy_tcp_connections_total', { listener: 'hs2', coordinator });
const ended = (samples: Sample[], end?: string) => pick(samples, 'impala_ha_proxy_tcp_connection_ends_total', { listener: 'hs2', ...(end !== undefined && { end }) });
const bytes = (samples: Sample[], coordinator: string, direction: 'in' | 'out') => pick(samples, 'impala_ha_proxy_tcp_bytes_total', { listener: 'hs2', coordinator, direction });

it('/metrics: TCP connections open and accepted per coordinator, then ends by why and bytes per coordinator', async () => {
  const h = (harness = await startTcpHarness({}, { coordinators: 2, config: { admin: { host: '127.0.0.1', port: 0 } } }));
  const [first, second] = h.cluster.coordinators.map((c) => c.name) as [string, string];

  // Four connections, each with a session: least-connections spreads them over both coordinators.
  const clients = [binary.connect(h), binary.connect(h), binary.connect(h), binary.connect(h)];
  const homes: string[] = [];
  for (const client of clients) homes.push(await sessionHome(client));
  const count = (coordinator: string) => homes.filter((home) => home === coordinator).length;
  expect(count(first)).toBeGreaterThan(0);
  expect(count(second)).toBeGreaterThan(0);

  let samples = await scrape(h);
  for (const coordinator of [first, second]) {
    expect(open(samples, coordinator)).toBe(count(coordinator));
    expect(accepted(samples, coordinator)).toBe(count(coordinator));
    // Bytes are counted when a connection ends.
    expect(bytes(samples, coordinator, 'in')).toBe(0);
  }
  expect(ended(samples)).toBe(0);

  // The client closes one connection on the first coordinator: client-closed, its bytes against it.
  clients[homes.indexOf(first)]!.close();
  samples = await waitFor(async () => {
    const now = await scrape(h);
    return open(now, first) === count(first) - 1 ? now : undefined;
  }, { what: 'the closed connection gone from tcp_open_connections' });
  expect(ended(samples, 'client-closed')).toBe(1);
  expect(ended(samples)).toBe(1);
  expect(open(samples, second)).toBe(count(second));
  expect(accepted(samples, first)).toBe(count(first));
  expect(bytes(samples, first, 'in')).toBeGreaterThan(0);
  expect(bytes(samples, first, 'out')).toBeGreaterThan(0);
  expect(bytes(samples, second, 'in')).toBe(0);

  // The operator disables the second coordinator: the proxy closes its connections, as `disabled`.
  expect((await fetch(`${h.proxy.adminUrl()}/admin/coordinators/${second}/disable`, { method: 'POST' })).status).toBe(200);
  samples = await waitFor(async () => {
    const now = await scrape(h);
    return ended(now, 'disabled') === count(second) ? now : undefined;
  }, { what: 'the disabled coordinator’s connections counted as ended' });
  expect(open(samples, second)).toBe(0);
  expect(open(samples, first)).toBe(count(first) - 1);
  expect(ended(samples, 'client-closed')).toBe(1);
  expect(ended(samples)).toBe(1 + count(second));
  expect(accepted(samples, second)).toBe(count(second));
  expect(bytes(samples, second, 'in')).toBeGreaterThan(0);
  expect(bytes(samples, second, 'out')).toBeGreaterThan(0);
});
