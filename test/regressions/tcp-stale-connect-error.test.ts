// Regression: a TCP connection kept the error of its last failed connect in a field, and an end
// before the next connect succeeded reported it as its own: a client that reset while the second
// candidate was still connecting logged `client-error` with the first candidate's
// UPSTREAM_CONNECT_REFUSED, and so did a `coordinator-down` shutdown mid-connect. Each end now
// carries only its own error (the client's, for client-error); failed connects stay in `failed`.
import { once } from 'node:events';
import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import type { TcpListenerConfig } from '../../src/config/schema.ts';
import type { Candidates } from '../../src/hs2/candidates.ts';
import { TcpConnection } from '../../src/tcp/connection.ts';
import type { TcpContext } from '../../src/tcp/context.ts';
import type { TcpOutcome } from '../../src/tcp/outcome.ts';
import type { Coordinator } from '../../src/upstream/coordinator.ts';
import type { HealthMonitor } from '../../src/upstream/health-monitor.ts';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen(onConnection: (socket: Socket) => void = () => undefined): Promise<Server> {
  const server = createServer((socket) => {
    sockets.push(socket);
    onConnection(socket);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const portOf = (server: Server) => (server.address() as AddressInfo).port;

/** A port nothing listens on: connects to it are refused. */
async function refusingPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = portOf(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const coordinator = (name: string, port: number) =>
  ({ name, config: { host: '127.0.0.1', hs2Port: port }, state: { attach: () => undefined, detach: () => undefined } }) as unknown as Coordinator;

/**
 * A bridge-mode connection whose first candidate refuses and whose second accepts TCP and never
 * answers the TLS ClientHello (a frozen impalad): resolves once the second connect is under way.
 */
async function connectingToSecond(): Promise<{ connection: TcpConnection; client: Socket; outcome: Promise<TcpOutcome> }> {
  let reachedSecond!: () => void;
  const secondReached = new Promise<void>((resolve) => (reachedSecond = resolve));
  const frozen = await listen(() => reachedSecond());
  const queue = [coordinator('refusing', await refusingPort()), coordinator('frozen', portOf(frozen))];
  const candidates = { next: () => queue.shift(), markTried: () => undefined } as unknown as Candidates;
  let finish!: (outcome: TcpOutcome) => void;
  const outcome = new Promise<TcpOutcome>((resolve) => (finish = resolve));
  const settings = { tls: 'bridge', coordinatorPort: 'hs2Port', connectTimeoutMs: 30_000, clientIdleTimeoutMs: 30_000, serverIdleTimeoutMs: 30_000 } as TcpListenerConfig;
  const context: TcpContext = {
    name: 'hs2',
    settings: () => settings,
    upstreamTls: () => undefined,
    monitor: { observeFailure: () => undefined } as unknown as HealthMonitor,
    track: () => undefined,
    connected: () => undefined,
    finish: (_connection, ended) => finish(ended),
  };
  let connection!: TcpConnection;
  const front = await listen((accepted) => (connection = new TcpConnection(context, accepted, '127.0.0.1', candidates)));
  const client = netConnect({ host: '127.0.0.1', port: portOf(front) });
  client.on('error', () => undefined);
  sockets.push(client);
  await secondReached;
  return { connection, client, outcome };
}

it('a client reset while the second candidate connects: client-error with the client’s error, not the first connect’s', async () => {
  const { client, outcome } = await connectingToSecond();
  client.resetAndDestroy();
  const ended = await outcome;
  expect(ended).toMatchObject({ end: 'client-error', coordinator: undefined, failedConnects: [{ coordinator: 'refusing', code: 'UPSTREAM_CONNECT_REFUSED' }] });
  expect(ended.error?.code).toBe('CLIENT_ABORTED');
});

it('coordinator-down while the second candidate connects: no error of its own, the refused connect only in failedConnects', async () => {
  const { connection, outcome } = await connectingToSecond();
  connection.shutDown('coordinator-down');
  const ended = await outcome;
  expect(ended).toMatchObject({ end: 'coordinator-down', coordinator: undefined, failedConnects: [{ coordinator: 'refusing', code: 'UPSTREAM_CONNECT_REFUSED' }] });
  expect(ended.error).toBeUndefined();
});
