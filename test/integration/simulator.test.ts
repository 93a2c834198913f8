import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, startCoordinator, type SimulatedCoordinator } from '../../src/tools/simulator/index.ts';
import { OperationState, StatusCode, encodeReply, formatImpalaId } from '../../src/tools/thrift/hs2.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { Hs2Client, HttpError, type Hs2ClientOptions } from '../helpers/hs2-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

const tlsFiles = () => ({ certFile: certPath('coordinator.pem'), keyFile: certPath('coordinator-key.pem') });
const ca = () => readCert('ca.pem');

function client(coordinator: SimulatedCoordinator, options: Partial<Hs2ClientOptions> = {}): Hs2Client {
  return new Hs2Client({ url: coordinator.hs2Url, tls: { ca: ca() }, ...options });
}

interface Fetched {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { method, headers, ca: ca(), agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
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

describe('simulated coordinator over TLS, no auth', () => {
  let coordinator: SimulatedCoordinator;
  beforeAll(async () => {
    coordinator = await startCoordinator({ name: 'sim-a', tls: tlsFiles() });
  });
  afterAll(() => coordinator.close());

  it('runs a whole session and answers every RPC with impalad headers', async () => {
    const hs2 = client(coordinator);
    const opened = await hs2.openSession({ mem_limit: '2g', 'client-key': 'x' });
    expect(opened.status.statusCode).toBe(StatusCode.SUCCESS);
    expect(opened.serverProtocolVersion).toBe(5);
    // TQueryOptionsToMap of the session's options plus http_addr; keys that are no option are ignored.
    expect(opened.configuration).toMatchObject({ http_addr: `127.0.0.1:${coordinator.webuiPort}`, MEM_LIMIT: '2g', ABORT_ON_ERROR: '0' });
    expect(opened.configuration).not.toHaveProperty('client-key');
    expect(opened.sessionHandle?.sessionId.guid).toHaveLength(16);
    expect(coordinator.openSessions).toBe(1);

    const headers = hs2.lastExchange!.headers;
    expect(hs2.lastExchange!.status).toBe(200);
    expect(headers['content-type']).toBe('application/x-thrift');
    expect(headers.connection).toBe('Keep-Alive');
    expect(headers['access-control-allow-origin']).toBe('*');
    expect(Number(headers['content-length'])).toBeGreaterThan(0);
    expect(hs2.lastExchange!.setCookies).toEqual([]);

    const executed = await hs2.executeStatement('select 1');
    const operationId = executed.operationHandle!.operationId;
    expect(operationId.secret).toEqual(opened.sessionHandle!.sessionId.secret);
    expect(operationId.guid).not.toEqual(opened.sessionHandle!.sessionId.guid);
    expect((await hs2.getOperationStatus(executed.operationHandle!)).operationState).toBe(OperationState.FINISHED);
    await hs2.closeOperation(executed.operationHandle!);

    expect(await hs2.query('select 1')).toEqual({ columns: ['coordinator', 'value'], rows: [['sim-a', 1]] });
    expect(await hs2.query('select range(5)', { maxRows: 2 })).toEqual({ columns: ['i'], rows: [[0], [1], [2], [3], [4]] });
    expect((await hs2.getInfo()).infoValue.stringValue).toBe('4.5.0-SIMULATED');
    const ping = await hs2.ping();
    expect(ping.webserver_address).toBe(coordinator.webuiUrl);
    expect((await hs2.closeSession()).status.statusCode).toBe(StatusCode.SUCCESS);
    expect(coordinator.openSessions).toBe(0);
    expect(coordinator.counters.rpcs.OpenSession).toBeGreaterThanOrEqual(1);
    expect(coordinator.rpcLog('ExecuteStatement').at(-1)?.sessionGuidHex).toBe(opened.sessionHandle!.sessionId.guid.toString('hex'));
  });

  it('answers an unknown session with the exact impalad error', async () => {
    const hs2 = client(coordinator);
    const guid = randomBytes(16);
    const sessionHandle = { sessionId: { guid, secret: randomBytes(16) } };
    for (const response of [await hs2.closeSession(sessionHandle), await hs2.getInfo(18, sessionHandle), await hs2.ping(sessionHandle), await hs2.executeStatement('select 1', sessionHandle)]) {
      expect(response.status).toEqual({
        statusCode: 3,
        infoMessages: null,
        sqlState: 'HY000',
        errorCode: null,
        errorMessage: `Invalid session id: ${formatImpalaId(guid)}\n`,
      });
    }
    expect(hs2.lastExchange!.status).toBe(200);
  });

  it('rejects a known session guid with the wrong secret', async () => {
    const hs2 = client(coordinator);
    const opened = await hs2.openSession();
    const guid = opened.sessionHandle!.sessionId.guid;
    const response = await hs2.getInfo(18, { sessionId: { guid, secret: randomBytes(16) } });
    expect(response.status.errorMessage).toBe(`Invalid session id: ${formatImpalaId(guid)}\n`);
    await hs2.closeSession();
  });

  it('answers an unknown operation with the invalid query handle error', async () => {
    const hs2 = client(coordinator);
    const guid = randomBytes(16);
    const operationHandle = { operationId: { guid, secret: randomBytes(16) }, operationType: 0, hasResultSet: true };
    const id = formatImpalaId(guid);
    const message = `Query ${id} failed:\nInvalid or unknown query handle: ${id}.\n\n`;
    const status = await hs2.getOperationStatus(operationHandle);
    expect(status.status).toMatchObject({ statusCode: 3, sqlState: 'HY000', errorMessage: message });
    expect(status.operationState).toBe(OperationState.ERROR);
    expect((await hs2.fetchResults(operationHandle)).status.errorMessage).toBe(message);
    expect((await hs2.closeOperation(operationHandle)).status.errorMessage).toBe(message);
  });

  it('returns a 10 MB FetchResults reply and accepts a 2 MB ExecuteStatement', async () => {
    const hs2 = client(coordinator);
    await hs2.openSession();
    const size = 10 * 1024 * 1024;
    const result = await hs2.query(`select repeat_bytes(${size})`);
    expect((result.rows[0]![0] as string).length).toBe(size);
    expect(Number(hs2.exchanges.at(-2)!.headers['content-length'])).toBeGreaterThan(size);

    const sql = `select 1 /* ${'y'.repeat(2 * 1024 * 1024)} */`;
    expect((await hs2.query(sql)).rows).toEqual([['sim-a', 1]]);
    const executeLog = coordinator.rpcLog('ExecuteStatement').at(-1)!;
    expect(executeLog.headers.expect).toBe('100-continue');
    expect(Number(executeLog.headers['content-length'])).toBeGreaterThan(2 * 1024 * 1024);
    await hs2.closeSession();
  });

  it('accepts a chunked request body', async () => {
    const { encodeCall, decodeReply } = await import('../../src/tools/thrift/hs2.ts');
    const body = encodeCall('OpenSession', { client_protocol: 5 });
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const request = https.request(`${coordinator.hs2Url}/`, { method: 'POST', ca: ca(), agent: false, headers: { 'Content-Type': 'application/x-thrift' } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks)));
      });
      request.on('error', reject);
      request.write(body.subarray(0, 10));
      request.end(body.subarray(10));
    });
    expect(decodeReply('OpenSession', reply).status.statusCode).toBe(0);
  });

  it('opens one connection per RPC or reuses one in keep-alive mode', async () => {
    const before = coordinator.counters.hs2ConnectionsAccepted;
    const perRpc = client(coordinator);
    await perRpc.openSession();
    await perRpc.getInfo();
    await perRpc.closeSession();
    expect(coordinator.counters.hs2ConnectionsAccepted - before).toBe(3);

    const keepAlive = client(coordinator, { connection: 'keep-alive' });
    const middle = coordinator.counters.hs2ConnectionsAccepted;
    await keepAlive.openSession();
    await keepAlive.getInfo();
    await keepAlive.closeSession();
    keepAlive.close();
    expect(coordinator.counters.hs2ConnectionsAccepted - middle).toBe(1);
  });

  it('serves the web UI with root-absolute links, make_url, gzip and security headers', async () => {
    const hs2 = client(coordinator);
    await hs2.openSession();
    const executed = await hs2.executeStatement('select 42');

    const root = await get(`${coordinator.webuiUrl}/`);
    expect(root.status).toBe(200);
    expect(root.headers['content-security-policy']).toContain("default-src 'self'");
    expect(root.headers['strict-transport-security']).toBeDefined();
    const html = root.body.toString();
    expect(html).toContain("<a id='root-link' class='brand' href='/'>");
    expect(html).toContain("href='/queries'");
    expect(html).toContain("src='/www/common.js'");
    expect(html).toContain("<link href='/www/style.css'");
    expect(html).toContain('const s = root_link.href.split("?");');

    const queries = await get(`${coordinator.webuiUrl}/queries`, { 'Accept-Encoding': 'gzip, deflate' });
    expect(queries.headers['content-encoding']).toBe('gzip');
    const queriesHtml = gunzipSync(queries.body).toString();
    expect(queriesHtml).toContain("id='queries-table'");
    expect(queriesHtml).toContain('make_url("/queries?json")');

    // make_url yields a double slash; squeasel collapses it.
    const json = await get(`${coordinator.webuiUrl}//queries?json`);
    expect(json.headers['content-type']).toBe('application/json');
    const parsed = JSON.parse(json.body.toString());
    expect(parsed.__common__.coordinator).toBe('sim-a');
    expect(parsed.queries.map((query: { query_id: string }) => query.query_id)).toContain(formatImpalaId(executed.operationHandle!.operationId.guid));

    const sessions = await get(`${coordinator.webuiUrl}/sessions`);
    const sessionId = formatImpalaId(hs2.session!.sessionId.guid);
    expect(sessions.body.toString()).toContain("<form action='/close_session' method='post'>");
    expect(sessions.body.toString()).toContain(sessionId);
    const closed = await get(`${coordinator.webuiUrl}/close_session`, { 'Content-Type': 'application/x-www-form-urlencoded' }, 'POST', `session_id=${sessionId}`);
    expect(closed.status).toBe(200);
    expect((await hs2.getInfo()).status.errorMessage).toBe(`Invalid session id: ${sessionId}\n`);

    expect((await get(`${coordinator.webuiUrl}/www/common.js`)).body.toString()).toContain('function fill_table');
    expect((await get(`${coordinator.webuiUrl}/nope`)).status).toBe(404);
  });

  it('reports health and quiescing like impalad', async () => {
    const healthz = await get(`${coordinator.webuiUrl}/healthz`);
    expect([healthz.status, healthz.headers['content-type'], healthz.body.toString()]).toEqual([200, 'text/plain', 'OK']);
    coordinator.setHealthy(false);
    const unhealthy = await get(`${coordinator.webuiUrl}/healthz`);
    expect([unhealthy.status, unhealthy.body.toString()]).toEqual([503, 'Not Available']);
    coordinator.setHealthy(true);

    const hs2 = client(coordinator);
    await hs2.openSession();
    coordinator.quiesce();
    try {
      const backends = JSON.parse((await get(`${coordinator.webuiUrl}/backends?json`)).body.toString());
      expect(backends.backends[0]).toMatchObject({ is_coordinator: true, is_quiescing: true, is_active: false, webserver_url: coordinator.webuiUrl });
      expect(backends.num_active_backends).toBe(0);
      expect((await get(`${coordinator.webuiUrl}/healthz`)).status).toBe(200);
      const refused = await client(coordinator).openSession();
      expect(refused.status.statusCode).toBe(3);
      expect(refused.status.errorMessage).toMatch(/^Server is being shut down: .*\.\n$/);
      expect((await hs2.executeStatement('select 1')).status.errorMessage).toMatch(/^Server is being shut down/);
      expect((await hs2.ping()).status.statusCode).toBe(0);
    } finally {
      coordinator.quiesce(false);
    }
    const backends = JSON.parse((await get(`${coordinator.webuiUrl}/backends?json`)).body.toString());
    expect(backends.backends[0].is_quiescing).toBe(false);
    expect(backends.num_active_backends).toBe(1);
  });

  it('answers OPTIONS with CORS and closes the connection on other methods', async () => {
    const options = await get(`${coordinator.hs2Url}/cliservice`, {}, 'OPTIONS');
    expect(options.status).toBe(200);
    expect(options.headers['access-control-allow-origin']).toBe('*');
    await expect(get(`${coordinator.hs2Url}/cliservice`)).rejects.toThrow(/socket hang up|ECONNRESET/);
  });
});

describe('fault injection', () => {
  let coordinator: SimulatedCoordinator;
  afterEach(() => coordinator.close());

  it('stop() refuses connections and start() comes back on the same ports with fresh state', async () => {
    coordinator = await startCoordinator({ tls: tlsFiles() });
    const { hs2HttpPort, webuiPort } = coordinator;
    const hs2 = client(coordinator);
    await hs2.openSession();
    await coordinator.stop();
    expect(coordinator.isRunning).toBe(false);
    await expect(hs2.getInfo()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(get(`${coordinator.webuiUrl}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await coordinator.start();
    expect([coordinator.hs2HttpPort, coordinator.webuiPort]).toEqual([hs2HttpPort, webuiPort]);
    const lost = await hs2.getInfo();
    expect(lost.status.errorMessage).toBe(`Invalid session id: ${formatImpalaId(hs2.session!.sessionId.guid)}\n`);
    expect((await client(coordinator).openSession()).status.statusCode).toBe(0);
  });

  it('start() waits for its port when something took it while stopped, and comes back on it', async () => {
    coordinator = await startCoordinator({ tls: tlsFiles() });
    const { hs2HttpPort, webuiPort } = coordinator;
    await coordinator.stop();
    // Something else holds the web UI port for a moment (an outgoing connection given it as its
    // local port, in the suite): start() keeps trying instead of failing with EADDRINUSE.
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(webuiPort, '127.0.0.1', resolve));
    let failure: unknown;
    const started = coordinator.start().catch((error: unknown) => (failure = error));
    // start() binds the hs2 port first: once that answers, it is at the web UI port, which is taken.
    const answers = () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(hs2HttpPort, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
    await waitFor(async () => failure !== undefined || (await answers()), { what: 'start() at the taken port' });
    expect(failure).toBeUndefined();
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    await started;
    expect(failure).toBeUndefined();
    expect(coordinator.webuiPort).toBe(webuiPort);
    expect((await get(`${coordinator.webuiUrl}/healthz`)).status).toBe(200);
  });

  it('stop() destroys in-flight connections', async () => {
    coordinator = await startCoordinator({ tls: tlsFiles() });
    const hs2 = client(coordinator);
    await hs2.openSession();
    coordinator.stall('GetInfo');
    const pending = hs2.getInfo();
    await coordinator.waitForStalled('GetInfo');
    await coordinator.stop();
    await expect(pending).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('freeze() accepts TCP but answers nothing until unfreeze()', async () => {
    coordinator = await startCoordinator({ tls: tlsFiles() });
    const hs2 = client(coordinator);
    await hs2.openSession();
    const accepted = coordinator.counters.connectionsAccepted;
    coordinator.freeze();
    const rpc = track(hs2.getInfo());
    const health = track(get(`${coordinator.webuiUrl}/healthz`));
    await waitFor(() => coordinator.counters.connectionsAccepted >= accepted + 2, { what: 'both connections accepted' });
    expect(rpc.settled()).toBe(false);
    expect(health.settled()).toBe(false);
    // A raw TCP connect succeeds while frozen, but a TLS handshake never completes.
    const socket = net.connect(coordinator.hs2HttpPort, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.destroy();
    coordinator.unfreeze();
    expect((await rpc.promise).status.statusCode).toBe(0);
    expect((await health.promise).status).toBe(200);
  });

  it('freeze() also holds requests on an established keep-alive connection', async () => {
    coordinator = await startCoordinator({ tls: tlsFiles() });
    const hs2 = client(coordinator, { connection: 'keep-alive' });
    await hs2.openSession();
    coordinator.freeze();
    const before = coordinator.requestLog.length;
    const rpc = track(hs2.getInfo());
    await waitFor(() => coordinator.requestLog.length > before, { what: 'request received' });
    expect(rpc.settled()).toBe(false);
    coordinator.unfreeze();
    expect((await rpc.promise).status.statusCode).toBe(0);
    hs2.close();
  });

  it('stall(method) holds that RPC until releaseStalled()', async () => {
    coordinator = await startCoordinator({ tls: tlsFiles() });
    const hs2 = client(coordinator);
    await hs2.openSession();
    coordinator.stall('ExecuteStatement');
    const execute = track(hs2.executeStatement('select 1'));
    await coordinator.waitForStalled('ExecuteStatement');
    expect(coordinator.stalledCount('ExecuteStatement')).toBe(1);
    expect((await client(coordinator).openSession()).status.statusCode).toBe(0);
    expect(execute.settled()).toBe(false);
    coordinator.releaseStalled();
    expect((await execute.promise).status.statusCode).toBe(0);
  });

  it('delays replies by delayMs', async () => {
    coordinator = await startCoordinator({ delayMs: 150 });
    const hs2 = new Hs2Client({ url: coordinator.hs2Url });
    const started = performance.now();
    await hs2.openSession();
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('close() is idempotent', async () => {
    coordinator = await startCoordinator();
    await Promise.all([coordinator.close(), coordinator.close()]);
    await coordinator.close();
    await expect(coordinator.start()).rejects.toThrow(/closed/);
  });
});

describe('authentication', () => {
  let coordinator: SimulatedCoordinator;
  let other: SimulatedCoordinator;
  beforeAll(async () => {
    const users = { alice: 'secret-a', bob: 'secret-b' };
    coordinator = await startCoordinator({ name: 'auth-1', tls: tlsFiles(), users });
    other = await startCoordinator({ name: 'auth-2', tls: tlsFiles(), users });
  });
  afterAll(() => Promise.all([coordinator.close(), other.close()]));

  const alice = { type: 'basic', user: 'alice', password: 'secret-a' } as const;

  it('issues impala.auth after Basic and accepts it afterwards without a new cookie', async () => {
    const hs2 = client(coordinator, { auth: alice });
    await hs2.openSession();
    const [issued] = hs2.lastExchange!.setCookies;
    expect(hs2.lastExchange!.setCookies).toHaveLength(1);
    expect(issued).toMatch(/^impala\.auth=[A-Za-z0-9+/]{43}=&u=alice&t=\d+&r=\d+&a=basic;HttpOnly;Max-Age=86400$/);
    expect(issued).not.toMatch(/Path/i);
    const successes = coordinator.counters.cookieAuthSuccesses;
    await hs2.getInfo();
    expect(hs2.lastExchange!.setCookies).toEqual([]);
    expect(coordinator.counters.cookieAuthSuccesses).toBe(successes + 1);
  });

  it('answers a foreign cookie with delete-then-new Set-Cookie headers, in order', async () => {
    const hs2 = client(coordinator, { auth: alice });
    await hs2.openSession();
    const foreign = client(other, { auth: alice });
    await foreign.openSession();
    // Move alice's client to the other coordinator, cookie and all.
    const moved = new Hs2Client({ url: other.hs2Url, tls: { ca: ca() }, auth: alice });
    moved.jar.store(hs2.exchanges[0]!.setCookies);
    moved.session = foreign.session;
    await moved.getInfo();
    const cookies = moved.lastExchange!.setCookies;
    expect(cookies).toHaveLength(2);
    expect(cookies[0]).toBe('impala.auth=;HttpOnly;Max-Age=0');
    expect(cookies[1]).toMatch(/^impala\.auth=.+&u=alice&/);
    expect(moved.cookies.get('impala.auth')).toBe(cookies[1]!.split(';')[0]!.slice('impala.auth='.length));
  });

  it('treats a Cookie header without impala.auth as a failed cookie auth', async () => {
    const hs2 = client(coordinator, { auth: alice, headers: { Cookie: 'impala.session.id=abc' } });
    const failures = coordinator.counters.cookieAuthFailures;
    await hs2.openSession();
    expect(hs2.lastExchange!.setCookies[0]).toBe('impala.auth=;HttpOnly;Max-Age=0');
    expect(coordinator.counters.cookieAuthFailures).toBe(failures + 1);
    expect(coordinator.sawCookie('impala.session.id')).toBe(true);
    expect(other.sawCookie('impala.session.id')).toBe(false);
  });

  it('answers 401 with Connection: close, no body, and closes the socket', async () => {
    const hs2 = client(coordinator);
    const error = await hs2.openSession().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(HttpError);
    const httpError = error as HttpError;
    expect(httpError.status).toBe(401);
    expect(httpError.headers['www-authenticate']).toBe('Basic');
    expect(httpError.headers.connection).toBe('close');
    expect(httpError.headers['content-length']).toBeUndefined();
    expect(httpError.body).toHaveLength(0);

    // The raw bytes: nothing after the headers, then the server closes.
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: coordinator.hs2HttpPort, ca: ca(), servername: 'localhost' }, () => {
        socket.write('POST /cliservice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-thrift\r\nContent-Length: 3\r\n\r\nabc');
      });
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\nDate: .*\r\nConnection: close\r\nWWW-Authenticate: Basic\r\n\r\n$/);
  });

  it('rejects wrong passwords with 401 and wipes-and-retries once when the client held cookies', async () => {
    const hs2 = client(coordinator, { auth: { type: 'basic', user: 'alice', password: 'wrong' } });
    hs2.jar.store(['impala.auth=forged&u=alice;HttpOnly', 'impala.session.id=pin;Path=/']);
    await expect(hs2.openSession()).rejects.toMatchObject({ status: 401 });
    expect(hs2.exchanges.map((exchange) => exchange.status)).toEqual([401, 401]);
    expect(hs2.exchanges[0]!.setCookies).toEqual(['impala.auth=;HttpOnly;Max-Age=0']);
    expect(hs2.cookies.size).toBe(0);
  });

  it('accepts a Kerberos-style client that only sends Negotiate without an auth cookie', async () => {
    const hs2 = client(coordinator, { auth: { type: 'kerberos' } });
    await hs2.openSession();
    expect(coordinator.requestLog.at(-1)!.headers.authorization).toBe('Negotiate dummy');
    expect(hs2.cookies.get('impala.auth')).toMatch(/&u=kerberos-user&/);
    await hs2.getInfo();
    expect(coordinator.requestLog.at(-1)!.headers.authorization).toBeUndefined();

    // On another coordinator its cookie is foreign: 401, wipe, retry with Negotiate.
    const moved = new Hs2Client({ url: other.hs2Url, tls: { ca: ca() }, auth: { type: 'kerberos' } });
    moved.jar.store([`impala.auth=${hs2.cookies.get('impala.auth')};HttpOnly;Max-Age=86400`]);
    const reopened = await moved.openSession();
    expect(reopened.status.statusCode).toBe(0);
    expect(moved.exchanges.map((exchange) => exchange.status)).toEqual([401, 200]);
  });

  it('checks the authenticated user against the session user on every RPC', async () => {
    const hs2 = client(coordinator, { auth: alice });
    await hs2.openSession();
    const bob = client(coordinator, { auth: { type: 'basic', user: 'bob', password: 'secret-b' } });
    const response = await bob.getInfo(18, hs2.session);
    expect(response.status.errorMessage).toBe(
      "The user authorized on the connection 'bob' does not match the session username 'alice'\n",
    );
  });

  it('sends 100 Continue only after authentication for large bodies', async () => {
    const hs2 = client(coordinator, { auth: alice });
    await hs2.openSession();
    const result = await hs2.query(`select 1 -- ${'z'.repeat(4096)}`);
    expect(result.rows).toEqual([['auth-1', 1]]);
  });
});

describe('web UI authentication', () => {
  it('requires Basic, issues impala.auth without Path and accepts it', async () => {
    const coordinator = await startCoordinator({ tls: tlsFiles(), users: { alice: 'pw' }, webuiAuth: true });
    try {
      const denied = await get(`${coordinator.webuiUrl}/`);
      expect(denied.status).toBe(401);
      expect(denied.headers['www-authenticate']).toMatch(/^Basic/);
      const allowed = await get(`${coordinator.webuiUrl}/`, { Authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` });
      expect(allowed.status).toBe(200);
      const cookie = allowed.headers['set-cookie']![0]!;
      expect(cookie).toMatch(/^impala\.auth=.*;HttpOnly;Max-Age=86400$/);
      const again = await get(`${coordinator.webuiUrl}/queries`, { Cookie: cookie.split(';')[0]! });
      expect(again.status).toBe(200);
      expect(again.headers['set-cookie']).toBeUndefined();
    } finally {
      await coordinator.close();
    }
  });
});

describe('startCluster', () => {
  it('starts coordinators that list each other in /backends?json', async () => {
    const cluster = await startCluster({ count: 3, tls: tlsFiles() });
    try {
      const [first, second] = cluster.coordinators;
      const backends = JSON.parse((await get(`${first!.webuiUrl}/backends?json`)).body.toString());
      expect(backends.backends.map((backend: { webserver_url: string }) => backend.webserver_url)).toEqual(
        cluster.coordinators.map((coordinator) => coordinator.webuiUrl),
      );
      await second!.stop();
      const after = JSON.parse((await get(`${first!.webuiUrl}/backends?json`)).body.toString());
      expect(after.backends).toHaveLength(2);
      expect(new Set(cluster.coordinators.map((coordinator) => coordinator.name)).size).toBe(3);
    } finally {
      await cluster.close();
      await cluster.close();
    }
  });
});

describe('Hs2Client cookie jar (against a scripted server)', () => {
  let server: http.Server;
  let url: string;
  /** Set-Cookie headers to send, one list per request; the Cookie header each request carried. */
  let script: { status?: number; setCookies: string[] }[] = [];
  let received: { path: string; cookie: string | undefined }[] = [];

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        received.push({ path: request.url ?? '', cookie: request.headers.cookie });
        const step = script.shift() ?? { setCookies: [] };
        const body = encodeReply('CloseSession', { status: { statusCode: 0 } });
        response.writeHead(step.status ?? 200, [
          'Content-Type', 'application/x-thrift',
          'Content-Length', String(step.status && step.status !== 200 ? 0 : body.length),
          ...step.setCookies.flatMap((cookie) => ['Set-Cookie', cookie]),
        ]);
        response.end(step.status && step.status !== 200 ? undefined : body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const handle = { sessionId: { guid: Buffer.alloc(16), secret: Buffer.alloc(16) } };
  async function run(hs2: Hs2Client, steps: typeof script): Promise<(string | undefined)[]> {
    script = steps.slice();
    received = [];
    for (let index = 0; index < steps.length; index++) {
      await hs2.closeSession(handle).catch((error: unknown) => {
        if (!(error instanceof HttpError)) throw error;
      });
    }
    return received.map((request) => request.cookie);
  }

  it('keeps every Set-Cookie in order, replacing by name', async () => {
    const hs2 = new Hs2Client({ url });
    const cookies = await run(hs2, [{ setCookies: ['a=1', 'b=2', 'a=3'] }, { setCookies: [] }, { setCookies: ['b=4'] }, { setCookies: [] }]);
    expect(cookies).toEqual([undefined, 'a=3; b=2', 'a=3; b=2', 'a=3; b=4']);
  });

  it('honours Max-Age (0 deletes) and ignores Expires, Domain, Secure and HttpOnly', async () => {
    const hs2 = new Hs2Client({ url });
    const cookies = await run(hs2, [
      { setCookies: ['keep=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'gone=1; Max-Age=60', 'flags=1; Domain=example.org; Secure; HttpOnly; SameSite=Lax'] },
      { setCookies: ['gone=; Max-Age=0'] },
      { setCookies: [] },
    ]);
    expect(cookies).toEqual([undefined, 'keep=1; gone=1; flags=1', 'keep=1; flags=1']);
  });

  it('honours Path against the request path including its query string', async () => {
    const plain = new Hs2Client({ url, httpPath: '/cliservice' });
    expect(await run(plain, [{ setCookies: ['root=1; Path=/', 'cli=1; Path=/cliservice', 'other=1; Path=/other', 'prefix=1; Path=/cli'] }, { setCookies: [] }])).toEqual([
      undefined,
      'root=1; cli=1',
    ]);
    const withQuery = new Hs2Client({ url, httpPath: '/cliservice?doAs=x' });
    expect(await run(withQuery, [{ setCookies: ['root=1; Path=/', 'cli=1; Path=/cliservice'] }, { setCookies: [] }])).toEqual([undefined, 'root=1']);
  });

  it('drops a cookie with an attribute Python does not know (Partitioned)', async () => {
    const hs2 = new Hs2Client({ url });
    expect(await run(hs2, [{ setCookies: ['p=1; Path=/; Secure; Partitioned', 'q=2'] }, { setCookies: [] }])).toEqual([undefined, 'q=2']);
  });

  it('keeps only the configured cookie names', async () => {
    const hs2 = new Hs2Client({ url, cookieNames: ['impala.auth'] });
    expect(await run(hs2, [{ setCookies: ['impala.session.id=x; Path=/', 'impala.auth=y'] }, { setCookies: [] }])).toEqual([undefined, 'impala.auth=y']);
    const none = new Hs2Client({ url, cookieNames: [] });
    expect(await run(none, [{ setCookies: ['a=1'] }, { setCookies: [] }])).toEqual([undefined, undefined]);
  });

  it('on a 401 while holding cookies clears them all and retries once', async () => {
    const hs2 = new Hs2Client({ url });
    script = [{ setCookies: ['impala.session.id=pin', 'impala.auth=x'] }, { status: 401, setCookies: [] }, { setCookies: ['fresh=1'] }];
    received = [];
    await hs2.closeSession(handle);
    await hs2.closeSession(handle);
    expect(received.map((request) => request.cookie)).toEqual([undefined, 'impala.session.id=pin; impala.auth=x', undefined]);
    expect(hs2.cookies).toEqual(new Map([['fresh', '1']]));
    expect(hs2.exchanges.map((exchange) => exchange.status)).toEqual([200, 401, 200]);

    // Without cookies a 401 is final.
    const bare = new Hs2Client({ url });
    script = [{ status: 401, setCookies: [] }];
    await expect(bare.closeSession(handle)).rejects.toMatchObject({ status: 401 });
  });
});
