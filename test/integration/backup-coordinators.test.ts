// Backup coordinators on the hs2-http front end (active-passive), through real sockets: new
// sessions go to the primaries only; with every primary down they are pinned to the backup; once a
// primary is up again new sessions go back to it, while a session already on the backup stays
// there. The policy itself is a unit test (test/unit/route.test.ts); the TCP front end's
// counterpart is in tcp-failover.test.ts.
import { afterEach, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { startProxy } from '../../src/main.ts';
import { startCluster, type SimulatedCluster } from '../../src/tools/simulator/index.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { coordinatorTls, harnessConfig, type Harness } from '../helpers/proxy-harness.ts';
import { LogSink } from '../helpers/log-sink.ts';
import { waitFor } from '../helpers/wait-for.ts';

const COOKIE = 'impala.session.id';

let harness: Harness | undefined;
const clients: Hs2Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await harness?.close();
  harness = undefined;
});

/** Three simulated coordinators, the third configured `backup: true`. */
async function startWithBackup(): Promise<Harness> {
  const cluster: SimulatedCluster = await startCluster({ count: 3, tls: coordinatorTls });
  const log = new LogSink();
  // Probe timeouts a loaded machine meets: a spurious "down" of the backup would end the test early.
  const base = harnessConfig(cluster, { health: { intervalMs: 400, timeoutMs: 350, rise: 2, fall: 2 } });
  const config = validateConfig({ ...base, coordinators: base.coordinators!.map((c, i) => ({ ...c, backup: i === 2 })) });
  try {
    const proxy = await startProxy(config, log.logger);
    harness = { cluster, proxy, log, url: proxy.url('https'), ca: certPath('ca.pem'), close: async () => (await proxy.close(), await cluster.close()) };
    return harness;
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

function connect(h: Harness): Hs2Client {
  const client = new Hs2Client({ url: h.url, tls: { ca: readCert('ca.pem') } });
  clients.push(client);
  return client;
}

/** The coordinator the client's affinity cookie pins it to. */
function pinnedBy(h: Harness, client: Hs2Client): string | undefined {
  const value = client.cookies.get(COOKIE);
  return value === undefined ? undefined : h.proxy.coordinators.tokens.lookup(value)?.name;
}

/** The simulator answers `select 1` with the name of the coordinator that ran it. */
async function whereIs(client: Hs2Client): Promise<string> {
  return String((await client.query('select 1')).rows[0]![0]);
}

async function newSession(h: Harness): Promise<{ client: Hs2Client; pinnedTo: string | undefined; ranOn: string }> {
  const client = connect(h);
  assertSuccess((await client.openSession()).status);
  return { client, pinnedTo: pinnedBy(h, client), ranOn: await whereIs(client) };
}

it('backup: new hs2-http sessions go to primaries only, to the backup while every primary is down, and back to a primary when one returns; a session on the backup stays there', async () => {
  const h = await startWithBackup();
  const [first, second, backup] = [h.cluster.coordinators[0]!, h.cluster.coordinators[1]!, h.cluster.coordinators[2]!];
  expect(h.proxy.coordinators.all.map((c) => c.isBackup)).toEqual([false, false, true]);

  // All three are up: six new sessions spread over the two primaries, none reaches the backup.
  const homes: string[] = [];
  for (let i = 0; i < 6; i++) {
    const { pinnedTo, ranOn } = await newSession(h);
    expect(pinnedTo).toBe(ranOn);
    homes.push(ranOn);
  }
  expect(new Set(homes)).toEqual(new Set([first.name, second.name]));
  expect(backup.rpcLog('OpenSession')).toHaveLength(0);
  expect(backup.counters.hs2ConnectionsAccepted).toBe(0);
  for (const client of clients.splice(0)) client.close();

  // Every primary stops; once the health checks have marked them down, only the backup is available.
  await Promise.all([first.stop(), second.stop()]);
  await waitFor(() => h.proxy.coordinators.available().map((c) => c.name).join() === backup.name, { what: 'only the backup available', timeoutMs: 15_000 });
  const onBackup = await newSession(h);
  expect(onBackup).toMatchObject({ pinnedTo: backup.name, ranOn: backup.name });
  expect(backup.rpcLog('OpenSession')).toHaveLength(1);

  // A primary returns: new sessions go to it again, not to the backup.
  await first.start();
  await waitFor(() => h.proxy.coordinators.byName(first.name)!.health === 'up', { what: `${first.name} up again`, timeoutMs: 15_000 });
  for (let i = 0; i < 3; i++) expect(await newSession(h)).toMatchObject({ pinnedTo: first.name, ranOn: first.name });
  expect(backup.rpcLog('OpenSession')).toHaveLength(1);

  // The session on the backup is not moved: its next RPC is served there, with no new pin.
  const executesBefore = backup.rpcLog('ExecuteStatement').length;
  const executed = await onBackup.client.executeStatement('select 1');
  assertSuccess(executed.status);
  expect(onBackup.client.lastExchange!.setCookies.filter((cookie) => cookie.startsWith(`${COOKIE}=`))).toEqual([]);
  expect(pinnedBy(h, onBackup.client)).toBe(backup.name);
  expect(backup.rpcLog('ExecuteStatement')).toHaveLength(executesBefore + 1);
  expect(await whereIs(onBackup.client)).toBe(backup.name);
  expect(h.log.access().at(-1)).toMatchObject({ coordinator: backup.name });
});
