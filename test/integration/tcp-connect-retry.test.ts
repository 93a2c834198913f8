// TCP listeners, issue 13: "A connect that fails (refused, timeout, upstream TLS failure) before any
// client byte reached a coordinator is retried on the next candidate, with the client bytes that
// arrived meanwhile buffered and sent to the one that answers." Here the client's OpenSession is
// written while the proxy's connect to the first coordinator is still held open, before the proxy
// has even tried the second; the first then fails (its TLS verification, or the connect limit), and
// the second must get those bytes and answer them.
import { afterEach, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { startProxy, type ProxyInstance } from '../../src/main.ts';
import { startCluster, startCoordinator, type SimulatedCluster, type SimulatedCoordinator } from '../../src/tools/simulator/index.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { Hs2BinaryClient, assertSuccess } from '../helpers/hs2-client.ts';
import { LogSink } from '../helpers/log-sink.ts';
import { coordinatorTls, harnessConfig, type Harness } from '../helpers/proxy-harness.ts';
import { tcpAccessLines } from '../helpers/tcp-harness.ts';
import { waitFor, withDeadline } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
let rogue: SimulatedCoordinator | undefined;
const clients: Hs2BinaryClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await harness?.close();
  await rogue?.close();
  harness = undefined;
  rogue = undefined;
});

/**
 * Two coordinators behind a bridge-mode TCP listener, where coordinator-1's binary hs2 port is a
 * simulated coordinator with a certificate of another CA (its web UI, which the health checks
 * read, is the real coordinator-1's: it stays up). That one starts frozen: it accepts the proxy's
 * TCP connect and holds it without a TLS byte until unfreeze(), so the client's bytes arrive
 * while the connect is still pending.
 */
async function startWithHeldFirstConnect(connectTimeoutMs: number): Promise<{ h: Harness; rogue: SimulatedCoordinator }> {
  const cluster: SimulatedCluster = await startCluster({ count: 2, tls: coordinatorTls, hs2TcpTls: true });
  // Module-level too, for afterEach to close.
  const held = (rogue = await startCoordinator({ name: 'rogue', tls: { certFile: certPath('rogue.pem'), keyFile: certPath('rogue-key.pem') }, hs2TcpTls: true }));
  held.freeze();
  const log = new LogSink();
  const base = harnessConfig(cluster, { tcp: [{ name: 'hs2', host: '127.0.0.1', port: 0, tls: 'bridge', connectTimeoutMs }] });
  const coordinators = base.coordinators!.map((c, i) => (i === 0 ? { ...c, hs2Port: held.hs2TcpPort } : c));
  let proxy: ProxyInstance;
  try {
    proxy = await startProxy(validateConfig({ ...base, coordinators }), log.logger);
  } catch (error) {
    await cluster.close();
    throw error;
  }
  harness = { cluster, proxy, log, url: proxy.url('https'), ca: certPath('ca.pem'), close: async () => (await proxy.close(), await cluster.close()) };
  return { h: harness, rogue: held };
}

type Opening = ReturnType<Hs2BinaryClient['openSession']>;

/**
 * Opens a session through the listener, and returns once its OpenSession was written while the
 * proxy's connect to coordinator-1 is held and coordinator-2 has not been asked for anything.
 */
async function openWhileFirstConnectIsHeld(h: Harness, held: SimulatedCoordinator): Promise<{ client: Hs2BinaryClient; opened: Opening }> {
  const [first, second] = [h.cluster.coordinators[0]!, h.cluster.coordinators[1]!];
  // A fresh least-connections policy tries coordinator-1 first (ties rotate from the first).
  const client = new Hs2BinaryClient({ host: '127.0.0.1', port: h.proxy.tcpListeners[0]!.port, tls: { ca: readCert('ca.pem'), servername: 'localhost' }, reconnect: false });
  clients.push(client);
  // openSession() writes the OpenSession in the same turn as the client's TLS handshake completes
  // (the transport is set in that turn too, which localAddress() shows).
  const opened = client.openSession();
  opened.catch(() => undefined); // awaited by the caller; a failure must not surface as unhandled first
  await waitFor(() => client.localAddress() !== undefined && held.counters.hs2TcpConnectionsAccepted === 1, { what: 'the OpenSession written while the first connect is pending' });
  expect(second.counters.hs2TcpConnectionsAccepted).toBe(0);
  expect(first.counters.hs2TcpConnectionsAccepted).toBe(0);
  return { client, opened };
}

/** coordinator-2 answered the OpenSession, and the proxy recorded coordinator-1's failed connect (with `code`) before it. */
async function expectServedBySecondAfterFailureOnFirst(h: Harness, held: SimulatedCoordinator, client: Hs2BinaryClient, opened: Opening, code: string): Promise<void> {
  const [first, second] = [h.cluster.coordinators[0]!, h.cluster.coordinators[1]!];
  assertSuccess((await withDeadline(opened, 15_000, 'OpenSession through the proxy')).status);
  expect(second.counters.hs2TcpConnectionsAccepted).toBe(1);
  expect(second.rpcLog('OpenSession')).toHaveLength(1);
  expect(held.rpcLog('OpenSession')).toHaveLength(0);
  expect(String((await client.query('select 1')).rows[0]![0])).toBe(second.name);

  // The order, as the proxy recorded it: the connect to coordinator-1 failed, then coordinator-2
  // carried the connection.
  client.close();
  const line = await waitFor(() => tcpAccessLines(h)[0], { what: 'the tcp access line' });
  expect(line).toMatchObject({ listener: 'hs2', coordinator: second.name, failed: [first.name], end: 'client-closed' });
  const failures = await h.proxy.metrics.registry.getSingleMetric('impala_ha_proxy_tcp_connect_failures_total')!.get();
  expect(failures.values.map((v) => ({ ...v.labels, value: v.value }))).toEqual([{ listener: 'hs2', coordinator: first.name, code, value: 1 }]);
  const retries = await h.proxy.metrics.registry.getSingleMetric('impala_ha_proxy_tcp_retries_total')!.get();
  expect(retries.values[0]?.value).toBe(1);
}

it('bridge: the first coordinator fails TLS verification after the client sent its OpenSession; the buffered bytes go to the second, which answers', async () => {
  // A connect limit far longer than the test: the failure must be the TLS verification, not a timeout.
  const { h, rogue: held } = await startWithHeldFirstConnect(60_000);
  const { client, opened } = await openWhileFirstConnectIsHeld(h, held);
  // The held connect proceeds: the rogue certificate fails verification; the proxy moves on.
  held.unfreeze();
  await expectServedBySecondAfterFailureOnFirst(h, held, client, opened, 'UPSTREAM_TLS');
});

it('bridge: the first connect times out after the client sent its OpenSession; the buffered bytes go to the second, which answers', async () => {
  // Long enough that the client has written long before it expires, even on a loaded machine.
  const { h, rogue: held } = await startWithHeldFirstConnect(2_000);
  const { client, opened } = await openWhileFirstConnectIsHeld(h, held);
  // Never unfrozen: the TLS handshake to coordinator-1 never starts, and the connect limit ends it.
  await expectServedBySecondAfterFailureOnFirst(h, held, client, opened, 'UPSTREAM_CONNECT_TIMEOUT');
});
