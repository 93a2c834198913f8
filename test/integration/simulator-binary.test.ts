// The simulator's binary hs2 port (impalad's 21050) and the project's binary HS2 client, through
// real sockets: NOSASL (TBufferedTransport) and SASL PLAIN (impalad with LDAP), TLS, the errors
// impalad gives, sessions bound to their coordinator, and the fault injection the proxy's TCP
// tests rely on (stop, freeze, stall).
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, startCoordinator, type SimulatedCluster, type SimulatedCoordinator } from '../../src/tools/simulator/index.ts';
import { MessageType, StatusCode, decodeReply, encodeCall, formatImpalaId, readMessageHeader } from '../../src/tools/thrift/hs2.ts';
import { measureMessage } from '../../src/tools/thrift/message-length.ts';
import { SaslStatus, encodePlainResponse, encodeSaslMessage, readSaslMessage } from '../../src/tools/thrift/sasl.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { Hs2BinaryClient, Hs2Client, Hs2TransportError, type Hs2BinaryClientOptions } from '../helpers/hs2-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

const tlsFiles = () => ({ certFile: certPath('coordinator.pem'), keyFile: certPath('coordinator-key.pem') });
const users = { alice: 'secret-a', bob: 'secret-b' };
const alice = { type: 'plain', user: 'alice', password: 'secret-a' } as const;

function binary(coordinator: SimulatedCoordinator, options: Partial<Hs2BinaryClientOptions> = {}): Hs2BinaryClient {
  return new Hs2BinaryClient({
    host: '127.0.0.1',
    port: coordinator.hs2TcpPort,
    ...(coordinator.isHs2TcpTls ? { tls: { ca: readCert('ca.pem') } } : {}),
    ...options,
  });
}

/** A Promise whose settlement can be checked synchronously. */
function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}

/** Writes `bytes` on a raw connection and collects everything until the server closes it. */
function exchangeRaw(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

describe('binary hs2, NOSASL (no authentication)', () => {
  let coordinator: SimulatedCoordinator;
  beforeAll(async () => {
    coordinator = await startCoordinator({ name: 'bin-a' });
  });
  afterAll(() => coordinator.close());

  it('runs a session on one kept connection; the same session is valid on hs2-http of the same coordinator', async () => {
    expect(coordinator.isHs2TcpSasl).toBe(false);
    expect(coordinator.hs2TcpPort).not.toBe(coordinator.hs2HttpPort);
    const before = coordinator.counters.hs2TcpConnectionsAccepted;
    const hs2 = binary(coordinator, { username: 'carol' });
    const opened = await hs2.openSession();
    expect(opened.status.statusCode).toBe(StatusCode.SUCCESS);
    expect(await hs2.query('select range(5)', { maxRows: 2 })).toEqual({ columns: ['i'], rows: [[0], [1], [2], [3], [4]] });
    expect((await hs2.getInfo()).infoValue.stringValue).toBe('4.5.0-SIMULATED');
    expect(coordinator.counters.hs2TcpConnectionsAccepted - before).toBe(1);
    expect(hs2.connections).toBe(1);
    expect(coordinator.hs2TcpConnections).toBe(1);
    expect(coordinator.sessions().find((session) => session.guid.equals(opened.sessionHandle!.sessionId.guid))?.user).toBe('carol');

    const entry = coordinator.rpcLog('GetInfo').at(-1)!;
    expect(entry).toMatchObject({ port: 'hs2-tcp', replied: true, sessionGuidHex: opened.sessionHandle!.sessionId.guid.toString('hex') });
    expect(entry.remote).toBe(`127.0.0.1:${hs2.localAddress()!.port}`);

    const overHttp = new Hs2Client({ url: coordinator.hs2Url });
    expect((await overHttp.getInfo(18, hs2.session)).status.statusCode).toBe(StatusCode.SUCCESS);
    expect((await hs2.closeSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    hs2.close();
    await waitFor(() => coordinator.hs2TcpConnections === 0, { what: 'the connection to close' });
  });

  it('returns a 10 MB reply and accepts a 2 MB call', async () => {
    const hs2 = binary(coordinator);
    await hs2.openSession();
    const size = 10 * 1024 * 1024;
    expect(((await hs2.query(`select repeat_bytes(${size})`)).rows[0]![0] as string).length).toBe(size);
    expect((await hs2.query(`select 1 /* ${'y'.repeat(2 * 1024 * 1024)} */`)).rows).toEqual([['bin-a', 1]]);
    hs2.close();
  });

  it('answers messages written back to back in one segment, in order', async () => {
    const opened = decodeReply('OpenSession', await roundTripRaw(coordinator.hs2TcpPort, encodeCall('OpenSession', { client_protocol: 5 })));
    const sessionHandle = opened.sessionHandle!;
    const calls = Buffer.concat([
      encodeCall('GetInfo', { sessionHandle, infoType: 17 }, 1),
      encodeCall('GetInfo', { sessionHandle, infoType: 18 }, 2),
      encodeCall('CloseSession', { sessionHandle }, 3),
    ]);
    const replies = await exchangeUntil(coordinator.hs2TcpPort, calls, 3);
    expect(decodeReply('GetInfo', replies[0]!).infoValue.stringValue).toBe('Impala');
    expect(decodeReply('GetInfo', replies[1]!).infoValue.stringValue).toBe('4.5.0-SIMULATED');
    expect(decodeReply('CloseSession', replies[2]!).status.statusCode).toBe(StatusCode.SUCCESS);
  });

  it('closes the connection on bytes that are no Thrift message, and on an unknown method answers TApplicationException', async () => {
    expect(await exchangeRaw(coordinator.hs2TcpPort, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toHaveLength(0);
    const unknown = Buffer.from(encodeCall('GetInfo', { sessionHandle: { sessionId: { guid: Buffer.alloc(16), secret: Buffer.alloc(16) } }, infoType: 18 }));
    unknown.write('GetInfX', 8, 'latin1');
    const reply = await roundTripRaw(coordinator.hs2TcpPort, unknown);
    expect(readMessageHeader(reply)).toEqual({ method: 'GetInfX', type: MessageType.EXCEPTION, seqid: 0 });
  });

  it('a SASL client gets no answer from a NOSASL port (impalad reads its START as a message header and waits)', async () => {
    const hs2 = binary(coordinator, { auth: alice, connectTimeoutMs: 300 });
    const error = await hs2.connect().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(Hs2TransportError);
    expect(error).toMatchObject({ code: 'HS2_CONNECT_TIMEOUT', during: 'open' });
  });
});

describe('binary hs2, SASL PLAIN (impalad with LDAP)', () => {
  let cluster: SimulatedCluster;
  let first: SimulatedCoordinator;
  let second: SimulatedCoordinator;
  beforeAll(async () => {
    cluster = await startCluster({ count: 2, namePrefix: 'ldap', users });
    [first, second] = cluster.coordinators as [SimulatedCoordinator, SimulatedCoordinator];
  });
  afterAll(() => cluster.close());

  it('negotiates START/OK/COMPLETE, then frames every message; the session user is the SASL user', async () => {
    const successes = first.counters.saslAuthSuccesses;
    const hs2 = binary(first, { auth: alice, username: 'ignored' });
    const opened = await hs2.openSession();
    expect(opened.status.statusCode).toBe(StatusCode.SUCCESS);
    expect((await hs2.query('select user()')).rows).toEqual([['alice']]);
    expect(first.counters.saslAuthSuccesses).toBe(successes + 1);
    expect(first.rpcLog('OpenSession').at(-1)).toMatchObject({ port: 'hs2-tcp', user: 'alice' });
    hs2.close();
  });

  it('frames exactly as TSaslServerTransport does (raw bytes)', async () => {
    const socket = net.connect(first.hs2TcpPort, '127.0.0.1');
    const received = collect(socket);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(Buffer.concat([encodeSaslMessage(SaslStatus.START, 'PLAIN'), encodeSaslMessage(SaslStatus.OK, encodePlainResponse('bob', 'secret-b'))]));
    await waitFor(() => received.bytes().length >= 5, { what: 'the SASL reply' });
    expect(received.bytes()).toEqual(Buffer.from([SaslStatus.COMPLETE, 0, 0, 0, 0]));
    const call = encodeCall('OpenSession', { client_protocol: 5 });
    const frame = Buffer.alloc(4);
    frame.writeUInt32BE(call.length);
    socket.write(Buffer.concat([frame, call]));
    await waitFor(() => received.bytes().length > 9 && received.bytes().length >= 9 + received.bytes().readUInt32BE(5), { what: 'one framed reply' });
    const reply = received.bytes().subarray(9);
    expect(decodeReply('OpenSession', reply).status.statusCode).toBe(StatusCode.SUCCESS);
    socket.destroy();
  });

  it('a wrong password: impalad closes the connection without a SASL message', async () => {
    const failures = first.counters.saslAuthFailures;
    const hs2 = binary(first, { auth: { type: 'plain', user: 'alice', password: 'wrong' } });
    const error = await hs2.openSession().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(Hs2TransportError);
    expect(error).toMatchObject({ code: 'HS2_CONNECTION_CLOSED', during: 'open' });
    expect((error as Error).message).toMatch(/during the SASL negotiation/);
    expect(first.counters.saslAuthFailures).toBe(failures + 1);
    // Raw: START and a bad PLAIN response get nothing back but the close.
    const raw = await exchangeRaw(
      first.hs2TcpPort,
      Buffer.concat([encodeSaslMessage(SaslStatus.START, 'PLAIN'), encodeSaslMessage(SaslStatus.OK, encodePlainResponse('nobody', 'x'))]),
    );
    expect(raw).toHaveLength(0);
  });

  it('an unsupported mechanism is answered BAD with the reason, a non-START first message ERROR', async () => {
    const bad = readSaslMessage(await exchangeRaw(first.hs2TcpPort, encodeSaslMessage(SaslStatus.START, 'GSSAPI')))!;
    expect(bad.status).toBe(SaslStatus.BAD);
    expect(bad.payload.toString()).toBe('Unsupported mechanism type GSSAPI');
    const error = readSaslMessage(await exchangeRaw(first.hs2TcpPort, encodeSaslMessage(SaslStatus.OK, 'PLAIN')))!;
    expect(error.status).toBe(SaslStatus.ERROR);
    expect(error.payload.toString()).toBe('Expecting START status, received 2');
  });

  it('a NOSASL client is dropped at its first byte ("invalid sasl status")', async () => {
    const hs2 = binary(first);
    await expect(hs2.openSession()).rejects.toMatchObject({ code: 'HS2_CONNECTION_CLOSED' });
  });

  it('a session opened on one coordinator is invalid on another, on either port', async () => {
    const home = binary(first, { auth: alice });
    await home.openSession();
    const guid = home.session!.sessionId.guid;
    const away = binary(second, { auth: alice });
    const reply = await away.getInfo(18, home.session);
    expect(reply.status).toMatchObject({ statusCode: StatusCode.ERROR, sqlState: 'HY000', errorMessage: `Invalid session id: ${formatImpalaId(guid)}\n` });
    const awayHttp = new Hs2Client({ url: second.hs2Url, auth: { type: 'basic', user: 'alice', password: 'secret-a' } });
    expect((await awayHttp.ping(home.session)).status.errorMessage).toBe(`Invalid session id: ${formatImpalaId(guid)}\n`);
    home.close();
    away.close();
  });

  it('checks the SASL user against the session user', async () => {
    const home = binary(first, { auth: alice });
    await home.openSession();
    const bob = binary(first, { auth: { type: 'plain', user: 'bob', password: 'secret-b' } });
    expect((await bob.getInfo(18, home.session)).status.errorMessage).toBe(
      "The user authorized on the connection 'bob' does not match the session username 'alice'\n",
    );
    home.close();
    bob.close();
  });
});

describe('binary hs2 over TLS', () => {
  let coordinator: SimulatedCoordinator;
  afterEach(() => coordinator.close());

  it('serves NOSASL and SASL PLAIN behind the coordinator certificate', async () => {
    coordinator = await startCoordinator({ tls: tlsFiles(), users });
    expect(coordinator.isHs2TcpTls).toBe(true);
    const hs2 = binary(coordinator, { auth: alice });
    expect((await hs2.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    expect(hs2.peerCertificate()?.subject.CN).toBe('impala coordinator (simulated)');
    hs2.close();
    const untrusted = binary(coordinator, { auth: alice, tls: {} });
    await expect(untrusted.openSession()).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('can serve plain TCP while hs2-http uses TLS (hs2TcpTls: false)', async () => {
    coordinator = await startCoordinator({ tls: tlsFiles(), hs2TcpTls: false });
    expect([coordinator.isTls, coordinator.isHs2TcpTls]).toEqual([true, false]);
    const hs2 = binary(coordinator);
    expect((await hs2.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    hs2.close();
  });
});

describe('binary hs2 fault injection', () => {
  let coordinator: SimulatedCoordinator;
  afterEach(() => coordinator.close());

  it('stop() closes open connections and the listener; start() comes back on the same port with fresh state', async () => {
    coordinator = await startCoordinator({ users });
    const port = coordinator.hs2TcpPort;
    const hs2 = binary(coordinator, { auth: alice });
    await hs2.openSession();
    coordinator.stall('GetInfo');
    const pending = hs2.getInfo();
    await coordinator.waitForStalled('GetInfo');
    await coordinator.stop();
    await expect(pending).rejects.toMatchObject({ code: 'HS2_CONNECTION_CLOSED', during: 'rpc' });
    await expect(binary(coordinator, { auth: alice }).connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await coordinator.start();
    expect(coordinator.hs2TcpPort).toBe(port);
    // The client reconnects on its next call; the session died with the coordinator.
    const lost = await hs2.getInfo();
    expect(lost.status.errorMessage).toBe(`Invalid session id: ${formatImpalaId(hs2.session!.sessionId.guid)}\n`);
    expect(hs2.connections).toBe(2);
    hs2.close();
  });

  it('with reconnect: false a client keeps failing after its connection was closed, like impyla', async () => {
    coordinator = await startCoordinator();
    const hs2 = binary(coordinator, { reconnect: false });
    await hs2.openSession();
    await coordinator.stop();
    await coordinator.start();
    await waitFor(() => !hs2.isConnected, { what: 'the client to see the close' });
    await expect(hs2.getInfo()).rejects.toMatchObject({ code: 'HS2_CONNECTION_CLOSED' });
    expect(hs2.connections).toBe(1);
    await hs2.connect(); // an explicit connect() opens a new one
    expect(hs2.connections).toBe(2);
    hs2.close();
  });

  it('freeze() holds an RPC on an open connection until unfreeze()', async () => {
    coordinator = await startCoordinator();
    const hs2 = binary(coordinator);
    await hs2.openSession();
    coordinator.freeze();
    const before = coordinator.rpcLog('GetInfo').length;
    const rpc = track(hs2.getInfo());
    // The message arrived (its log entry exists) but is held before it is read: no method, no reply.
    await waitFor(
      () => {
        const last = coordinator.requestLog.at(-1);
        return last?.port === 'hs2-tcp' && last.rpc === undefined && last.replied === undefined;
      },
      { what: 'the held message' },
    );
    expect(rpc.settled()).toBe(false);
    expect(coordinator.rpcLog('GetInfo').length).toBe(before);
    coordinator.unfreeze();
    expect((await rpc.promise).status.statusCode).toBe(StatusCode.SUCCESS);
    hs2.close();
  });

  it('freeze() accepts new connections but never starts TLS or SASL', async () => {
    coordinator = await startCoordinator({ tls: tlsFiles(), users });
    coordinator.freeze();
    const accepted = coordinator.counters.hs2TcpConnectionsAccepted;
    const hs2 = binary(coordinator, { auth: alice });
    const opening = track(hs2.openSession());
    await waitFor(() => coordinator.counters.hs2TcpConnectionsAccepted > accepted, { what: 'the connection to be accepted' });
    // A TLS handshake on another connection does not complete either.
    const handshake = track(
      new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: coordinator.hs2TcpPort, ca: readCert('ca.pem') }, () => resolve(socket.destroy()));
        socket.on('error', reject);
      }),
    );
    await waitFor(() => coordinator.counters.hs2TcpConnectionsAccepted > accepted + 1, { what: 'the second connection' });
    expect(opening.settled()).toBe(false);
    expect(handshake.settled()).toBe(false);
    coordinator.unfreeze();
    expect((await opening.promise).status.statusCode).toBe(StatusCode.SUCCESS);
    await handshake.promise;
    hs2.close();
  });

  it('stall(method) holds that RPC on the binary port too, and other connections go on', async () => {
    coordinator = await startCoordinator();
    const hs2 = binary(coordinator);
    await hs2.openSession();
    coordinator.stall('ExecuteStatement');
    const execute = track(hs2.executeStatement('select 1'));
    await coordinator.waitForStalled('ExecuteStatement');
    const other = binary(coordinator);
    expect((await other.openSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    expect(execute.settled()).toBe(false);
    coordinator.releaseStalled();
    expect((await execute.promise).status.statusCode).toBe(StatusCode.SUCCESS);
    hs2.close();
    other.close();
  });
});

function collect(socket: net.Socket): { bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { bytes: () => Buffer.concat(chunks) };
}

/** One NOSASL call on a fresh raw connection; resolves with the reply bytes. */
async function roundTripRaw(port: number, call: Buffer): Promise<Buffer> {
  return (await exchangeUntil(port, call, 1))[0]!;
}

/** Writes `bytes` at once and splits what comes back into `count` whole replies. */
function exchangeUntil(port: number, bytes: Buffer, count: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('error', reject);
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const replies: Buffer[] = [];
      let offset = 0;
      while (replies.length < count) {
        const measured = measureMessage(received, offset);
        if (!('length' in measured)) return;
        replies.push(received.subarray(offset, offset + measured.length));
        offset += measured.length;
      }
      socket.destroy();
      resolve(replies);
    });
  });
}
