// server.workers: 2, through the real CLI in a child process: a primary and two worker processes
// sharing the client listeners (the primary hands each new connection to the next worker), with
// health, operator state and learned sessions owned by the primary and shared. Clients make a new
// TLS connection per RPC, as impyla does, so consecutive RPCs of one client land on different
// workers; the access lines' `worker` field shows which one served each.
import { connect } from 'node:net';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeToken } from '../../src/affinity/token.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import type { StatusSnapshot } from '../../src/status/snapshot.ts';
import { startCluster, type SimulatedCluster, type SimulatedCoordinator } from '../../src/tools/simulator/index.ts';
import { readCert } from '../helpers/certs.ts';
import { familyTypes, isMonotonicSample, parseExposition, pick, type Sample } from '../helpers/exposition.ts';
import { ChildProxy, type ChildLogLine } from '../helpers/child-proxy.ts';
import { Hs2BinaryClient, Hs2Client, assertSuccess, isSuccess, type Hs2ClientOptions } from '../helpers/hs2-client.ts';
import { coordinatorTls, harnessConfig } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

const secret = 'test-secret-1'; // harnessConfig's cookie.secrets
const cookieFor = (coordinator: string) => `impala.session.id=${makeToken(secret, coordinator)}`;

let cluster: SimulatedCluster | undefined;
let child: ChildProxy | undefined;
const clients: Hs2Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await child?.stop();
  child = undefined;
  await cluster?.close();
  cluster = undefined;
});

interface Running {
  readonly child: ChildProxy;
  readonly url: string;
  readonly admin: string;
}

/** Simulated coordinators, and the proxy with two workers in front of them, ready. */
async function startWorkers(coordinators = 3, overrides: Partial<ConfigInput> = {}, configured = coordinators): Promise<Running> {
  cluster = await startCluster({ count: coordinators, tls: coordinatorTls, hs2TcpTls: false });
  const config = harnessConfig(cluster, { admin: { host: '127.0.0.1', port: 0 }, ...overrides, server: { workers: 2, ...overrides.server } });
  child = new ChildProxy({ ...config, coordinators: config.coordinators!.slice(0, configured) });
  await child.waitForLine((l) => l.event === 'workers-ready', 'both workers serving', 30_000);
  return { child, url: await child.url('https'), admin: await child.url('admin') };
}

function client(url: string, options: Partial<Hs2ClientOptions> = {}): Hs2Client {
  const made = new Hs2Client({ url, tls: { ca: readCert('ca.pem') }, ...options });
  clients.push(made);
  return made;
}

/** Access lines of hs2 requests, in the order the processes wrote them. */
function accessLines(proxy: ChildProxy, from = 0): ChildLogLine[] {
  return proxy.lines.slice(from).filter((l) => l.log === 'access' && l.event === undefined);
}

/**
 * Waits until `count` access lines (from `from` on, of `rpc` when given) were written. Lines are
 * written when a request ends, and batched: a line of an earlier request may still come after `from`.
 */
function waitForAccessLines(proxy: ChildProxy, count: number, from = 0, rpc?: string): Promise<ChildLogLine[]> {
  return waitFor(() => {
    const lines = accessLines(proxy, from).filter((l) => rpc === undefined || l.rpc === rpc);
    return lines.length >= count ? lines : undefined;
  }, { what: `${count} ${rpc ?? ''} access lines` });
}

/**
 * `count` sessions, each with an ExecuteStatement that every simulator holds; resolves once all are
 * held, with each one's outcome to come: ok, an error status, or failed (no reply).
 */
async function holdExecutes(url: string, count: number): Promise<Promise<'ok' | 'error' | 'failed'>[]> {
  const sims = cluster!.coordinators;
  const sessions = [];
  for (let i = 0; i < count; i++) {
    const hs2 = client(url);
    assertSuccess((await hs2.openSession()).status);
    sessions.push(hs2);
  }
  for (const sim of sims) sim.stall('ExecuteStatement');
  const results = sessions.map((hs2) => hs2.executeStatement('select 1').then((reply) => (isSuccess(reply.status) ? 'ok' as const : 'error' as const), () => 'failed' as const));
  await waitFor(() => sims.reduce((sum, sim) => sum + sim.stalledCount('ExecuteStatement'), 0) === count, { what: 'every ExecuteStatement held' });
  return results;
}

async function status(admin: string): Promise<StatusSnapshot> {
  const response = await fetch(`${admin}/status?format=json`);
  expect(response.status).toBe(200);
  return (await response.json()) as StatusSnapshot;
}

async function whereIs(hs2: Hs2Client): Promise<string> {
  return String((await hs2.query('select 1')).rows[0]![0]);
}

function isRefused(url: string): Promise<boolean> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('server.workers: 2', () => {
  it('keeps a client on its coordinator while its RPCs land on both workers', async () => {
    const { child: proxy, url } = await startWorkers();
    const from = proxy.lines.length;
    const hs2 = client(url); // a new TLS connection per RPC, cookies kept (impyla >= 0.20)
    assertSuccess((await hs2.openSession()).status);
    const coordinator = await whereIs(hs2);
    for (let i = 0; i < 3; i++) expect(await whereIs(hs2)).toBe(coordinator);
    const lines = await waitForAccessLines(proxy, hs2.exchanges.length, from); // OpenSession, then 4 queries of 5 RPCs
    expect(lines.map((l) => l.coordinator)).toEqual(lines.map(() => coordinator));
    expect(lines[0]).toMatchObject({ rpc: 'OpenSession', affinity: 'new' });
    expect(new Set(lines.slice(1).map((l) => l.affinity))).toEqual(new Set(['kept']));
    expect(new Set(lines.map((l) => l.worker))).toEqual(new Set([1, 2]));
  });

  it('routes by the session handle learned in another worker (a client that keeps no cookie)', async () => {
    const { child: proxy, url, admin } = await startWorkers();
    const hs2 = client(url, { cookieNames: [] }); // impyla <= 0.17
    const from = proxy.lines.length;
    assertSuccess((await hs2.openSession()).status);
    const [opened] = await waitForAccessLines(proxy, 1, from);
    // Both replicas of the session map have it once the primary shared it.
    await waitFor(async () => (await status(admin)).workers?.every((w) => w.learnedSessions === 1), { what: 'the session in both workers' });
    const coordinator = await whereIs(hs2); // "Invalid session id" on any other coordinator
    expect(coordinator).toBe(opened!.coordinator);
    const lines = (await waitForAccessLines(proxy, hs2.exchanges.length, from)).slice(1);
    expect(lines.every((l) => l.coordinator === coordinator && l.affinity === 'recovered')).toBe(true);
    expect(lines.some((l) => l.worker !== opened!.worker)).toBe(true);
  });

  it('a drain through the admin API reaches both workers before it is answered', async () => {
    const { child: proxy, url, admin } = await startWorkers();
    const drained = cluster!.coordinators[0]!.name;
    const response = await fetch(`${admin}/admin/coordinators/${drained}/drain`, { method: 'POST' });
    expect(response.status).toBe(200);
    const from = proxy.lines.length;
    for (let i = 0; i < 6; i++) assertSuccess((await client(url).openSession()).status);
    const opens = await waitForAccessLines(proxy, 6, from);
    expect(opens.map((l) => l.coordinator)).not.toContain(drained);
    expect(new Set(opens.map((l) => l.worker))).toEqual(new Set([1, 2]));
    await proxy.waitForLine((l) => l.event === 'admin' && l.action === 'drain', 'the admin line');
    expect(proxy.lines.filter((l) => l.event === 'admin' && l.action === 'drain')).toHaveLength(1);
  });

  it('a stopped coordinator is marked down once, and both workers re-pin its clients', async () => {
    const { child: proxy, url } = await startWorkers(2);
    const [stopped, peer] = cluster!.coordinators.map((c) => c.name) as [string, string];
    // Clients pinned to `stopped` that never store a new cookie: each RPC shows a re-pin.
    const pinned = client(url, { cookieNames: [], headers: { cookie: cookieFor(stopped) } });
    let from = proxy.lines.length;
    assertSuccess((await pinned.openSession()).status);
    expect((await waitForAccessLines(proxy, 1, from))[0]).toMatchObject({ coordinator: stopped, affinity: 'kept' });

    await cluster!.coordinators[0]!.stop();
    await proxy.waitForLine((l) => l.event === 'health' && l.coordinator === stopped && l.health === 'down', 'the down line');
    from = proxy.lines.length;
    for (let i = 0; i < 4; i++) assertSuccess((await pinned.openSession()).status);
    const repins = await waitForAccessLines(proxy, 4, from);
    for (const line of repins) expect(line).toMatchObject({ coordinator: peer, affinity: 'repinned', reason: 'down' });
    expect(new Set(repins.map((l) => l.worker))).toEqual(new Set([1, 2]));
    // One transition, logged once, by the primary (whose lines carry no worker field).
    const downs = proxy.lines.filter((l) => l.event === 'health' && l.coordinator === stopped);
    expect(downs).toHaveLength(1);
    expect(downs[0]!.worker).toBeUndefined();
  });

  it('a coordinator marked down by the primary: both workers move their own requests in flight to the peer', async () => {
    const { child: proxy, url, admin } = await startWorkers(2);
    const [sick, peer] = cluster!.coordinators as [SimulatedCoordinator, SimulatedCoordinator];
    const pinned = [];
    for (let i = 0; i < 4; i++) {
      const hs2 = client(url, { cookieNames: [], headers: { cookie: cookieFor(sick.name) } });
      assertSuccess((await hs2.openSession()).status);
      pinned.push(hs2);
    }
    sick.stall('ExecuteStatement');
    const from = proxy.lines.length;
    const replies = pinned.map((hs2) => hs2.executeStatement('select 1'));
    await waitFor(() => sick.stalledCount('ExecuteStatement') === pinned.length, { what: 'every ExecuteStatement held' });
    await waitFor(async () => (await status(admin)).workers?.every((w) => (w.inFlight ?? 0) > 0), { what: 'requests in flight on both workers' });
    sick.setHealthy(false); // /healthz answers 503: the primary's probes mark it down
    // Each worker fails its own over to the peer, which answers as for any session it does not know.
    for (const reply of await Promise.all(replies)) expect(reply.status.errorMessage).toMatch(/^Invalid session id/);
    const moved = await waitForAccessLines(proxy, pinned.length, from, 'ExecuteStatement');
    expect(moved).toHaveLength(pinned.length);
    for (const line of moved) expect(line).toMatchObject({ coordinator: peer.name, failed: sick.name });
    expect(new Set(moved.map((l) => l.worker))).toEqual(new Set([1, 2]));
    // The primary's line, written once (its log is batched: it may come after the workers' lines).
    const down = await proxy.waitForLine((l) => l.event === 'health' && l.coordinator === sick.name, 'the down line');
    expect([down.health, down.worker]).toEqual(['down', undefined]);
    assertSuccess((await client(url).openSession()).status);
    expect(proxy.lines.filter((l) => l.event === 'health' && l.coordinator === sick.name)).toHaveLength(1);
  });

  it('a worker killed under load loses only its own in-flight requests; a replacement starts and the listener never refuses', async () => {
    const { child: proxy, url, admin } = await startWorkers(2);
    const sims = cluster!.coordinators;
    const results = await holdExecutes(url, 8);
    const before = await waitFor(async () => {
      const snapshot = await status(admin);
      const rows = snapshot.workers ?? [];
      return rows.length === 2 && rows.reduce((sum, w) => sum + (w.inFlight ?? 0), 0) === results.length ? rows : undefined;
    }, { what: 'both workers reporting the requests in flight' });
    const victim = before.find((w) => (w.inFlight ?? 0) > 0)!;
    const survivor = before.find((w) => w !== victim)!;

    // Connects every 20 ms from before the kill until the replacement serves: none may be refused.
    let refused = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        if (await isRefused(url)) refused += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    process.kill(victim.pid, 'SIGKILL');
    const exit = await proxy.waitForLine((l) => l.event === 'worker-exit' && l.pid === victim.pid, 'the worker-exit line');
    expect(exit).toMatchObject({ worker: victim.id, signal: 'SIGKILL' });
    const replacement = await proxy.waitForLine((l) => l.event === 'worker-started' && (l.worker as number) > 2, 'the replacement', 30_000);
    probing = false;
    await prober;
    expect(refused).toBe(0);

    for (const sim of sims) sim.releaseStalled();
    const outcomes = await Promise.all(results);
    expect(outcomes.filter((o) => o === 'failed')).toHaveLength(victim.inFlight!);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(survivor.inFlight!);

    // The replacement serves, with the primary's sessions in its replica.
    const after = await status(admin);
    const rows = after.workers!;
    expect(rows.map((w) => w.id).sort()).toEqual([survivor.id, replacement.worker].sort());
    const learned = after.coordinators.reduce((sum, c) => sum + c.sessions, 0);
    for (const row of rows) expect(row.learnedSessions).toBe(learned);
    const from = proxy.lines.length;
    for (let i = 0; i < 4; i++) assertSuccess((await client(url).openSession()).status);
    expect(new Set((await waitForAccessLines(proxy, 4, from, 'OpenSession')).map((l) => l.worker))).toEqual(new Set([survivor.id, replacement.worker]));
  });

  it('/metrics does not go backwards when a worker is replaced, and its live gauges go with it', async () => {
    const { child: proxy, url, admin } = await startWorkers(2);
    const sims = cluster!.coordinators;
    const results = await holdExecutes(url, 8);
    const scrape = async () => {
      const text = await (await fetch(`${admin}/metrics`)).text();
      return { samples: parseExposition(text), types: familyTypes(text) };
    };
    // Both workers answered this scrape: the primary has what each counted so far.
    const before = await waitFor(async () => {
      const scraped = await scrape();
      const { samples } = scraped;
      return pick(samples, 'impala_ha_proxy_requests_total') === 8 && pick(samples, 'impala_ha_proxy_coordinator_in_flight_requests') === 8 ? scraped : undefined;
    }, { what: 'eight OpenSessions counted and eight requests in flight' });
    const workers = (await status(admin)).workers!;
    const victim = workers.find((w) => (w.inFlight ?? 0) > 0)!;
    const survivor = workers.find((w) => w !== victim)!;

    process.kill(victim.pid, 'SIGKILL');
    await proxy.waitForLine((l) => l.event === 'worker-exit' && l.pid === victim.pid, 'the worker-exit line');
    await proxy.waitForLine((l) => l.event === 'worker-started' && (l.worker as number) > 2, 'the replacement', 30_000);

    // Every counter and histogram series (traffic, IPC messages, process CPU, GC) is at least what
    // it was: the dead worker's last scraped figures stay in the sum. Prometheus's rate() would
    // take a drop for a counter reset.
    const after = await scrape();
    const key = (s: Sample) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
    const now = new Map(after.samples.map((s) => [key(s), s.value]));
    const fell = before.samples.filter((s) => {
      const value = now.get(key(s));
      return isMonotonicSample(s, before.types) && (value === undefined || value < s.value);
    });
    expect(fell.map((s) => `${key(s)} ${s.value} → ${now.get(key(s))}`)).toEqual([]);
    expect(pick(after.samples, 'impala_ha_proxy_requests_total')).toBe(8);
    // Live state is the live workers' alone: the dead worker's requests in flight are gone.
    expect(pick(after.samples, 'impala_ha_proxy_coordinator_in_flight_requests')).toBe(survivor.inFlight);

    for (const sim of sims) sim.releaseStalled();
    const outcomes = await Promise.all(results);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(survivor.inFlight!);
    // The survivor's ExecuteStatements add to the sum that kept the dead worker's OpenSessions.
    await waitFor(async () => pick((await scrape()).samples, 'impala_ha_proxy_requests_total') === 8 + survivor.inFlight!, { what: 'the survivor\'s ExecuteStatements counted' });
  });

  it('least-connections on a TCP listener counts the connections of both workers', async () => {
    const { child: proxy, admin } = await startWorkers(2, { tcp: [{ name: 'hs2', host: '127.0.0.1', port: 0 }] });
    const port = ((await proxy.waitForLine((l) => l.event === 'listening' && l.kind === 'tcp', 'the TCP listener')).port) as number;
    const [c1, c2] = cluster!.coordinators.map((c) => c.name) as [string, string];
    const post = async (path: string) => expect((await fetch(`${admin}${path}`, { method: 'POST' })).status).toBe(200);
    const connectTcp = async () => {
      const binary = new Hs2BinaryClient({ host: '127.0.0.1', port, reconnect: false });
      clients.push(binary as unknown as Hs2Client);
      assertSuccess((await binary.openSession()).status);
      return { binary, home: String((await binary.query('select 1')).rows[0]![0]) };
    };
    // The primary hands connections to the workers in turn: the 1st and 3rd to one, the 2nd to the other.
    await post(`/admin/coordinators/${c2}/drain`);
    const first = await connectTcp();
    const second = await connectTcp();
    const third = await connectTcp();
    expect([first.home, second.home, third.home]).toEqual([c1, c1, c1]);
    second.binary.close();
    await post(`/admin/coordinators/${c2}/enable`);
    // The worker that carries none now counts the other's two on c1.
    await waitFor(async () => (await status(admin)).workers?.some((w) => w.clientConnections === 0 && w.peerTcpConnections?.[c1] === 2), { what: 'the idle worker counting the peer connections' });
    // Its next connection goes to c2: by its own count alone, c1 and c2 would tie (and c1 comes first).
    expect((await connectTcp()).home).toBe(c2);
  });

  it('/metrics adds the workers up (state gauges once) and /status shows both workers', async () => {
    const { child: proxy, url, admin } = await startWorkers();
    const from = proxy.lines.length;
    const opened = [];
    for (let i = 0; i < 6; i++) {
      const hs2 = client(url);
      assertSuccess((await hs2.openSession()).status);
      opened.push(hs2);
    }
    const opens = await waitForAccessLines(proxy, 6, from);
    expect(new Set(opens.map((l) => l.worker))).toEqual(new Set([1, 2]));

    const sample = (text: string, name: string) =>
      text.split('\n').filter((line) => line.startsWith(`impala_ha_proxy_${name}`)).map((line) => ({ line, value: Number(line.slice(line.lastIndexOf(' ') + 1)) }));
    const text = await waitFor(async () => {
      const body = await (await fetch(`${admin}/metrics`)).text();
      const opened = sample(body, 'requests_total{').filter((s) => s.line.includes('method="OpenSession"'));
      return opened.reduce((sum, s) => sum + s.value, 0) === 6 ? body : undefined;
    }, { what: 'six OpenSessions in requests_total' });
    const up = sample(text, 'coordinator_up{');
    expect(up).toHaveLength(3);
    expect(up.map((s) => s.value)).toEqual([1, 1, 1]);
    expect(sample(text, 'learned_sessions ').map((s) => s.value)).toEqual([6]);
    expect(sample(text, 'coordinator_sessions{').reduce((sum, s) => sum + s.value, 0)).toBe(6);
    expect(sample(text, 'process_resident_memory_bytes ')).toHaveLength(1);

    // RPCs that keep their pin cost no IPC: between two scrapes, only the scrape's own questions
    // (one to each worker) and answers (one from each; a worker's periodic report of the sessions
    // it used may add one).
    const messages = async () => {
      const body = await (await fetch(`${admin}/metrics`)).text();
      return Object.fromEntries(sample(body, 'cluster_messages_total{').map((s) => [/direction="(\w+)"/.exec(s.line)![1], s.value]));
    };
    const before = await messages();
    for (let i = 0; i < 4; i++) await whereIs(opened[0]!); // 20 RPCs, over both workers
    const after = await messages();
    expect(after.to_workers! - before.to_workers!).toBe(2);
    expect(after.to_primary! - before.to_primary!).toBeGreaterThanOrEqual(2);
    expect(after.to_primary! - before.to_primary!).toBeLessThanOrEqual(4);

    const snapshot = await status(admin);
    expect(snapshot.workers).toHaveLength(2);
    for (const worker of snapshot.workers!) expect(worker).toMatchObject({ state: 'serving', isAnswering: true, generation: 1, learnedSessions: 6 });
    for (const worker of snapshot.workers!) expect(worker.requestsPerSec).toBeGreaterThan(0);
    // Each coordinator's requests of the last minute, whichever worker served them.
    const served = await waitForAccessLines(proxy, 26, from);
    for (const coordinator of snapshot.coordinators) {
      expect(coordinator.requestsPerSec).toBeCloseTo(served.filter((l) => l.coordinator === coordinator.name).length / 60, 2);
    }
    expect(snapshot.coordinators.reduce((sum, c) => sum + c.history.requestsPerSec.at(-1)!, 0)).toBeGreaterThan(0);
    const page = await (await fetch(`${admin}/status`)).text();
    for (const worker of snapshot.workers!) expect(page).toContain(`<tr data-worker="${worker.id}">`);
  });

  it('SIGHUP reloads both workers: a coordinator the reload adds serves pins from either', async () => {
    const { child: proxy, url, admin } = await startWorkers(3, {}, 2);
    const added = cluster!.coordinators[2]!;
    const pinned = client(url, { cookieNames: [], headers: { cookie: cookieFor(added.name) } });
    let from = proxy.lines.length;
    assertSuccess((await pinned.openSession()).status);
    expect((await waitForAccessLines(proxy, 1, from))[0]!.affinity).toBe('invalid'); // not a token of this config

    proxy.writeConfig({ ...harnessConfig(cluster!, { admin: { host: '127.0.0.1', port: 0 }, server: { workers: 2 } }) });
    proxy.signal('SIGHUP');
    const reloaded = await proxy.waitForLine((l) => l.event === 'reload', 'the reload line');
    expect(reloaded).toMatchObject({ generation: 2, added: [added.name] });
    expect((await status(admin)).workers!.map((w) => w.generation)).toEqual([2, 2]);
    from = proxy.lines.length;
    for (let i = 0; i < 4; i++) assertSuccess((await pinned.openSession()).status);
    const lines = await waitForAccessLines(proxy, 4, from);
    for (const line of lines) expect(line).toMatchObject({ coordinator: added.name, affinity: 'kept' });
    expect(new Set(lines.map((l) => l.worker))).toEqual(new Set([1, 2]));

    // A config that does not load is one rejection, by the primary; both workers serve on.
    proxy.writeConfig('coordinators: [ { name: x, host: 127.0.0.1, hs2Port: 99999 } ]\n');
    proxy.signal('SIGHUP');
    expect((await proxy.waitForLine((l) => l.event === 'reload-rejected', 'the rejection line')).msg).toMatch(/hs2Port/);
    expect((await status(admin)).workers!.map((w) => w.generation)).toEqual([2, 2]);
    assertSuccess((await pinned.openSession()).status);
    expect(proxy.lines.filter((l) => l.event === 'reload-rejected')).toHaveLength(1);
  });

  it('SIGTERM drains both workers: in-flight requests finish, then the primary exits 0', async () => {
    const { child: proxy, url, admin } = await startWorkers(2, { server: { workers: 2, shutdownTimeoutMs: 20_000 } });
    const sims = cluster!.coordinators;
    const sessions = [];
    for (let i = 0; i < 4; i++) {
      const hs2 = client(url);
      assertSuccess((await hs2.openSession()).status);
      sessions.push(hs2);
    }
    for (const sim of sims) sim.stall('ExecuteStatement');
    const replies = sessions.map((hs2) => hs2.executeStatement('select 1'));
    await waitFor(async () => (await status(admin)).workers?.every((w) => (w.inFlight ?? 0) > 0), { what: 'requests in flight on both workers' });

    proxy.signal('SIGTERM');
    await proxy.waitForLine((l) => l.event === 'signal' && l.signal === 'SIGTERM', 'the SIGTERM line');
    await waitFor(() => isRefused(url), { what: 'the listener to stop accepting', timeoutMs: 15_000 });
    expect(proxy.process.exitCode).toBeNull(); // still finishing
    for (const sim of sims) sim.releaseStalled();
    for (const reply of await Promise.all(replies)) assertSuccess(reply.status);
    expect({ ...(await proxy.exited), stderr: proxy.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    const closed = proxy.lines.filter((l) => l.event === 'closed');
    expect(closed.map((l) => l.worker ?? 'primary').sort()).toEqual([1, 2, 'primary']);
    expect(closed.at(-1)!.worker).toBeUndefined(); // the primary last
  });

  it('a listener whose port is taken is one line naming it, and exit code 1', async () => {
    cluster = await startCluster({ count: 1, tls: coordinatorTls });
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      child = new ChildProxy(harnessConfig(cluster, { server: { workers: 2 }, tcp: [{ name: 'binary', host: '127.0.0.1', port }] }));
      expect(await child.exited).toEqual({ code: 1, signal: null });
      expect(child.stderr).toBe(`impala-ha-proxy: tcp[0] 127.0.0.1:${port}: address already in use\n`);
    } finally {
      taken.close();
    }
  });
});
