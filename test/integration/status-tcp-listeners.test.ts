// The /status page's TCP listener table, as served over the admin listener (status.test.ts covers
// the coordinator rows in a browser, with no TCP listener): one row per listener with its name,
// address, target port, TLS mode, policy and open connections, in total and per coordinator, and
// the numbers follow the connections as they open and close.
import { afterEach, expect, it } from 'vitest';
import type { StatusSnapshot } from '../../src/status/snapshot.ts';
import type { Harness } from '../helpers/proxy-harness.ts';
import { BinaryClients, sessionHome, startTcpHarness, tcpPort } from '../helpers/tcp-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
const binary = new BinaryClients();
afterEach(async () => {
  binary.closeAll();
  await harness?.close();
  harness = undefined;
});

interface Cell {
  readonly attributes: string;
  readonly text: string;
}

/** The cells of the row `<tr data-listener="name">` of the HTML page. */
function listenerRow(html: string, name: string): Cell[] | undefined {
  const row = new RegExp(`<tr data-listener="${name}">([\\s\\S]*?)</tr>`).exec(html)?.[1];
  return row === undefined ? undefined : [...row.matchAll(/<td([^>]*)>([\s\S]*?)<\/td>/g)].map((m) => ({ attributes: m[1]!.trim(), text: m[2]! }));
}

async function statusPage(h: Harness): Promise<string> {
  const response = await fetch(`${h.proxy.adminUrl()}/status`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  return response.text();
}

it('status page HTML: a TCP listener row with its address and its open connections, per coordinator', async () => {
  const h = (harness = await startTcpHarness({}, { coordinators: 2, config: { admin: { host: '127.0.0.1', port: 0 } } }));
  const [first, second] = h.cluster.coordinators.map((c) => c.name) as [string, string];
  const port = tcpPort(h);

  // Three open connections with a session each: least-connections puts two on one coordinator.
  const connected = [binary.connect(h), binary.connect(h), binary.connect(h)];
  const homes = [];
  for (const client of connected) homes.push(await sessionHome(client));
  const onFirst = homes.filter((home) => home === first).length;
  expect([onFirst, 3 - onFirst].sort()).toEqual([1, 2]);

  let html = await statusPage(h);
  expect(html).toContain('<h2>TCP listeners<span class="meta">open connections</span></h2>');
  expect(html).toContain(`<th class="num">Open</th><th class="num">${first}</th><th class="num">${second}</th></tr></thead>`);
  expect(listenerRow(html, 'hs2')).toEqual([
    { attributes: '', text: 'hs2' },
    { attributes: '', text: `127.0.0.1:${port}` },
    { attributes: '', text: 'hs2Port' },
    { attributes: '', text: 'none' },
    { attributes: '', text: 'least-connections' },
    { attributes: 'class="num" data-field="open"', text: '3' },
    { attributes: `class="num" data-coordinator="${first}"`, text: String(onFirst) },
    { attributes: `class="num" data-coordinator="${second}"`, text: String(3 - onFirst) },
  ]);
  // The same numbers as the JSON snapshot.
  const json = (await (await fetch(`${h.proxy.adminUrl()}/status?format=json`)).json()) as StatusSnapshot;
  expect(json.tcpListeners).toEqual([{ name: 'hs2', address: `127.0.0.1:${port}`, coordinatorPort: 'hs2Port', tls: 'none', policy: 'least-connections', open: 3, byCoordinator: { [first]: onFirst, [second]: 3 - onFirst } }]);

  // One connection on the busier coordinator closes: the page counts it gone.
  const busier = onFirst === 2 ? first : second;
  connected[homes.indexOf(busier)]!.close();
  await waitFor(() => h.proxy.status().tcpListeners[0]!.open === 2, { what: 'the closed connection counted' });
  html = await statusPage(h);
  const cells = listenerRow(html, 'hs2')!.slice(5).map((cell) => cell.text);
  expect(cells).toEqual(['2', '1', '1']);
});
