// Failover proven against real coordinators (simulated, TLS) and a real HS2 client: what a client
// sees when its coordinator dies between RPCs, during RPCs, before health checks noticed, with a
// body too large to replay, with no coordinator left, and with Kerberos-style or auth-only cookies
// (DESIGN §4–5, research/impala-protocol.md §1–3).
import { afterEach, describe, expect, it } from 'vitest';
import { StatusCode } from '../../src/tools/thrift/hs2.ts';
import type { SimulatedCoordinator } from '../../src/tools/simulator/index.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { Hs2Client, HttpError, isSuccess, type Hs2ClientOptions } from '../helpers/hs2-client.ts';
import { startHarness, type Harness, type HarnessOptions } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

const INVALID_SESSION = /^Invalid session id: [0-9a-f]{16}:[0-9a-f]{16}\n$/;
const INVALID_QUERY = /Invalid or unknown query handle: [0-9a-f]{16}:[0-9a-f]{16}\./;
const COOKIE = 'impala.session.id';

let harness: Harness | undefined;
const clients: Hs2Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await harness?.close();
  harness = undefined;
});

/**
 * Fast probes, but a timeout no loaded CI machine misses: a spurious "down" would re-pin a client
 * in the middle of a test. Stops are noticed by refused connects anyway.
 */
const fastHealth = { intervalMs: 500, timeoutMs: 450, rise: 2, fall: 2 };

async function start(options: HarnessOptions = {}): Promise<Harness> {
  harness = await startHarness({ ...options, config: { health: fastHealth, ...options.config } });
  return harness;
}

function connect(h: Harness, options: Partial<Hs2ClientOptions> = {}): Hs2Client {
  const client = new Hs2Client({ url: h.url, tls: { ca: readCert('ca.pem') }, ...options });
  clients.push(client);
  return client;
}

/** The simulator answers `select 1` with the name of the coordinator that ran it. */
async function whereIs(client: Hs2Client): Promise<string> {
  const { rows } = await client.query('select 1');
  return String(rows[0]![0]);
}

function simulator(h: Harness, name: string): SimulatedCoordinator {
  return h.cluster.coordinators.find((c) => c.name === name)!;
}

function affinityCookie(client: Hs2Client): string | undefined {
  return client.cookies.get(COOKIE);
}

/** The coordinator that sent the last Thrift reply, by the affinity cookie the proxy pinned. */
function pinnedBy(h: Harness, client: Hs2Client): string | undefined {
  const value = affinityCookie(client);
  return value === undefined ? undefined : h.proxy.coordinators.tokens.lookup(value)?.name;
}

async function openPinned(h: Harness, options: Partial<Hs2ClientOptions> = {}): Promise<{ client: Hs2Client; name: string }> {
  const client = connect(h, options);
  expect((await client.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
  return { client, name: await whereIs(client) };
}

describe('failover', () => {
  it('stopped between RPCs: the next session RPC gets "Invalid session id" from a healthy peer, re-pinned', async () => {
    const h = await start();
    const { client, name } = await openPinned(h);
    const before = affinityCookie(client);
    await simulator(h, name).stop();

    const reply = await client.executeStatement('select 1');
    expect(client.lastExchange!.status).toBe(200);
    expect(reply.status.statusCode).toBe(StatusCode.ERROR);
    expect(reply.status.errorMessage).toMatch(INVALID_SESSION);
    expect(client.lastExchange!.setCookies[0]).toMatch(new RegExp(`^${COOKIE}=`));
    expect(affinityCookie(client)).not.toBe(before);
    const peer = pinnedBy(h, client)!;
    expect(peer).not.toBe(name);
    expect(simulator(h, peer).rpcLog('ExecuteStatement')).toHaveLength(1);

    // What impala-shell does next ("Connection lost, reconnecting..."): a new session, there.
    expect(isSuccess((await client.openSession()).status)).toBe(true);
    expect(await whereIs(client)).toBe(peer);
    expect(simulator(h, peer).openSessions).toBe(1);
  });

  it('stopped with an ExecuteStatement and a FetchResults in flight: both get the Thrift error from a peer, then recover', async () => {
    const h = await start();
    const { client: executing, name } = await openPinned(h);
    // A second client pinned to the same coordinator (its cookie copied), with an open query.
    const fetching = connect(h);
    fetching.jar.store([`${COOKIE}=${affinityCookie(executing)}; Path=/`]);
    await fetching.openSession();
    const executed = await fetching.executeStatement('select 1');
    const operation = executed.operationHandle!;
    expect(await whereIs(fetching)).toBe(name);

    const victim = simulator(h, name);
    victim.stall('ExecuteStatement');
    victim.stall('FetchResults');
    const execute = executing.executeStatement('select 1');
    const fetch = fetching.fetchResults(operation);
    await victim.waitForStalled('ExecuteStatement');
    await victim.waitForStalled('FetchResults');
    await victim.stop();

    const [executeReply, fetchReply] = await Promise.all([execute, fetch]);
    expect(executeReply.status.errorMessage).toMatch(INVALID_SESSION);
    expect(fetchReply.status.statusCode).toBe(StatusCode.ERROR);
    expect(fetchReply.status.errorMessage).toMatch(INVALID_QUERY);
    for (const client of [executing, fetching]) {
      expect(client.lastExchange!.status).toBe(200);
      expect(pinnedBy(h, client)).not.toBe(name);
      expect((await client.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
      expect(await whereIs(client)).not.toBe(name);
    }
    const replays = h.log.access().filter((line) => line.replays === 1);
    expect(replays.map((line) => line.rpc).sort()).toEqual(['ExecuteStatement', 'FetchResults']);
  });

  it('refused before health checks noticed: replayed to a peer within the same request', async () => {
    const h = await start({ config: { health: { intervalMs: 60_000, timeoutMs: 1_000, rise: 2, fall: 3 } } });
    const { client, name } = await openPinned(h);
    const victim = simulator(h, name);
    await victim.stop();
    expect(h.proxy.coordinators.byName(name)!.health).toBe('up');

    const reply = await client.ping();
    expect(client.lastExchange!.status).toBe(200);
    expect(reply.status.errorMessage).toMatch(INVALID_SESSION);
    expect(h.proxy.coordinators.byName(name)!.health).toBe('down');
    const line = h.log.access().at(-1)!;
    expect(line).toMatchObject({ rpc: 'PingImpalaHS2Service', status: 200, replays: 1, affinity: 'repinned' });
    expect(line.coordinator).not.toBe(name);
    const replay = h.log.find((entry) => entry.event === 'replay')!;
    expect(['UPSTREAM_CONNECT_REFUSED', 'UPSTREAM_RESET']).toContain(replay.code);

    expect((await client.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    expect(await whereIs(client)).toBe(line.coordinator);
  });

  it('a body larger than maxReplayBytes on a failed coordinator: 502 with the re-pinned cookie; the retry works', async () => {
    const h = await start({
      config: { upstream: { mode: 'tls', tls: { caFile: harnessCa() }, maxReplayBytes: 1024 }, health: { intervalMs: 60_000, timeoutMs: 1_000, rise: 2, fall: 3 } },
    });
    const { client, name } = await openPinned(h);
    await simulator(h, name).stop();

    const large = `select 1 -- ${'x'.repeat(4096)}`;
    const error = await client.executeStatement(large).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(502);
    const peer = pinnedBy(h, client)!;
    expect(peer).toBeDefined();
    expect(peer).not.toBe(name);
    expect((await client.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    expect(await whereIs(client)).toBe(peer);
    // A large body on a healthy coordinator streams through.
    const { rows } = await client.query(large);
    expect(rows[0]![0]).toBe(peer);
  });

  it('no coordinator up: 503 with Retry-After and a short text body, pin unchanged; works again after a restart', async () => {
    const h = await start({ coordinators: 2 });
    const { client } = await openPinned(h);
    const pin = affinityCookie(client);
    await Promise.all(h.cluster.coordinators.map((c) => c.stop()));
    await waitFor(() => h.proxy.coordinators.all.every((c) => c.health === 'down'), { what: 'all down' });

    const error = (await client.ping().catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(503);
    expect(error.headers['retry-after']).toMatch(/^\d+$/);
    expect(error.headers['set-cookie']).toBeUndefined();
    expect(error.headers['content-type']).toMatch(/^text\/plain/);
    expect(error.body.length).toBeLessThan(100);
    expect(affinityCookie(client)).toBe(pin);

    await Promise.all(h.cluster.coordinators.map((c) => c.start()));
    await waitFor(() => h.proxy.coordinators.all.every((c) => c.health === 'up'), { what: 'all up' });
    expect((await client.ping()).status.errorMessage).toMatch(INVALID_SESSION);
    expect((await client.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    await whereIs(client);
  });

  it('the last available coordinator fails during the request: 503 with Retry-After, not 502', async () => {
    const h = await start({ coordinators: 2, config: { health: { intervalMs: 60_000, timeoutMs: 1_000, rise: 2, fall: 3 } } });
    const { client, name } = await openPinned(h);
    const pin = affinityCookie(client);
    // Both stopped before any health check noticed: the request is refused by one, then the other.
    await Promise.all(h.cluster.coordinators.map((c) => c.stop()));

    const error = (await client.ping().catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(503);
    expect(error.headers['retry-after']).toMatch(/^\d+$/);
    expect(affinityCookie(client)).toBe(pin);
    expect(h.log.access().at(-1)).toMatchObject({ rpc: 'PingImpalaHS2Service', coordinator: expect.not.stringMatching(`^${name}$`), status: 503, error: 'NO_COORDINATOR' });
  });

  it('the last coordinator dies with a request in flight: 503 with Retry-After, not 502', async () => {
    const h = await start({ coordinators: 2 });
    const { client, name } = await openPinned(h);
    const other = h.cluster.coordinators.find((c) => c.name !== name)!;
    await other.stop();
    await waitFor(() => h.proxy.coordinators.byName(other.name)!.health === 'down', { what: `${other.name} down` });
    const victim = simulator(h, name);
    victim.stall('ExecuteStatement');
    const execute = client.executeStatement('select 1').catch((e: unknown) => e);
    await victim.waitForStalled('ExecuteStatement');
    await victim.stop();

    const error = (await execute) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(503);
    expect(error.headers['retry-after']).toMatch(/^\d+$/);
    expect(h.log.access().at(-1)).toMatchObject({ rpc: 'ExecuteStatement', status: 503, error: 'NO_COORDINATOR' });
  });

  it('a Kerberos-style client ends on the new coordinator after one 401 round and never loops', async () => {
    const h = await start({ cluster: { users: { alice: 'secret' } } });
    const { client, name } = await openPinned(h, { auth: { type: 'kerberos' } });
    expect(client.cookies.has('impala.auth')).toBe(true);
    await whereIs(client); // on the impala.auth cookie alone
    await simulator(h, name).stop();

    const exchangesBefore = client.exchanges.length;
    const reply = await client.ping();
    expect(reply.status.errorMessage).toMatch(INVALID_SESSION);
    expect((await client.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    const landed = await whereIs(client);
    expect(landed).not.toBe(name);
    for (let i = 0; i < 3; i++) expect(await whereIs(client)).toBe(landed);
    const statuses = client.exchanges.slice(exchangesBefore).map((exchange) => exchange.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(1);
    expect(statuses.at(-1)).toBe(200);
    expect(pinnedBy(h, client)).toBe(landed);
    expect(client.cookies.has('impala.auth')).toBe(true);
  });

  it('a client that keeps only impala.auth (no affinity cookie) fails over cleanly', async () => {
    const h = await start({ cluster: { users: { alice: 'secret' } } });
    const { client, name } = await openPinned(h, { cookieNames: ['impala.auth'], auth: { type: 'basic', user: 'alice', password: 'secret' } });
    expect(affinityCookie(client)).toBeUndefined();
    for (let i = 0; i < 3; i++) expect(await whereIs(client)).toBe(name); // session map keeps it there
    await simulator(h, name).stop();

    const reply = await client.ping();
    expect(client.lastExchange!.status).toBe(200);
    expect(reply.status.errorMessage).toMatch(INVALID_SESSION);
    expect((await client.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    const landed = await whereIs(client);
    expect(landed).not.toBe(name);
    for (let i = 0; i < 3; i++) expect(await whereIs(client)).toBe(landed);
    expect(client.exchanges.every((exchange) => exchange.status === 200)).toBe(true);
  });
});

/** The harness's upstream CA, repeated because a config override replaces `upstream` as a whole. */
function harnessCa(): string {
  return certPath('ca.pem');
}
