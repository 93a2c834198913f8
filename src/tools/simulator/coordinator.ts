// One simulated impalad coordinator: an hs2-http port, a binary hs2 port and a web UI port
// (research §3, §4), with the fault injection the proxy's failover tests need.
//
// Each port hands accepted sockets to a non-listening http(s) or tls server (or, for plain binary
// hs2, straight to the connection handler), so a frozen coordinator can accept TCP (like a
// SIGSTOPped process whose kernel still completes handshakes) while never starting TLS, HTTP or
// Thrift, and stop() can destroy every socket it owns (listeners.ts). Both hs2 ports serve the
// same Hs2Service: a session opened on either is valid on both, and on no other coordinator.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { handleCall, readMessageHeader } from '../thrift/hs2.ts';
import { AuthCookieSigner, authenticate, type AuthCounters } from './auth.ts';
import { CoordinatorStoppedError, FreezeGate, StallRegistry } from './faults.ts';
import { Hs2Service, type QueryInfo, type RpcContext, type SessionInfo } from './hs2-service.ts';
import { createHttpServer, readBody, writeOptions, writeThriftReply, writeUnauthorized } from './hs2-http.ts';
import { hs2TcpAcceptor, type Hs2TcpHandler } from './hs2-tcp.ts';
import { CoordinatorListeners } from './listeners.ts';
import { silentLogger, type SimulatorLogger } from './logger.ts';
import { handleWebUiRequest, type BackendInfo } from './webui.ts';

export interface CoordinatorTlsOptions {
  certFile?: string;
  keyFile?: string;
  /** PEM; takes precedence over certFile. */
  cert?: string | Buffer;
  /** PEM; takes precedence over keyFile. */
  key?: string | Buffer;
}

export interface CoordinatorOptions {
  /** Default `coordinator-<n>`. */
  name?: string;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). The port chosen first is kept across stop()/start(). */
  hs2HttpPort?: number;
  /** Default 0 (ephemeral). The port chosen first is kept across stop()/start(). */
  webuiPort?: number;
  /**
   * The binary hs2 port (impalad --hs2_port, 21050): TBinaryProtocol over TCP, always served.
   * Default 0 (ephemeral). The port chosen first is kept across stop()/start().
   */
  hs2TcpPort?: number;
  /**
   * TLS on the binary hs2 port. Default: on when `tls` is set (impalad's --ssl_server_certificate
   * covers every client port); false serves plain TCP there while hs2-http and the web UI use TLS.
   */
  hs2TcpTls?: boolean;
  /** Same certificate for every port; plain HTTP and TCP without it. */
  tls?: CoordinatorTlsOptions;
  /**
   * LDAP-style users (user → password): Basic authentication (and `impala.auth` cookies) on the
   * hs2-http port, SASL PLAIN on the binary hs2 port (NOSASL without users).
   */
  users?: Record<string, string>;
  /** Also require authentication on the web UI (impalad --webserver_require_ldap). Default false. */
  webuiAuth?: boolean;
  /** `impala.auth` Max-Age and validity (--max_cookie_lifetime_s). Default 86400. */
  cookieMaxAgeSeconds?: number;
  /** Delay before every hs2 reply. Default 0. */
  delayMs?: number;
  /** Reported by GetInfo, PingImpalaHS2Service and the web UI. */
  version?: string;
  /** Request log entries kept (oldest dropped first). Default 1000. */
  requestLogSize?: number;
  /** Largest accepted hs2 request body or binary message; larger ones close the connection. Default 64 MiB. */
  maxBodyBytes?: number;
  /** pino-compatible; default silent. */
  logger?: SimulatorLogger;
}

export interface RequestLogEntry {
  /** Thrift method; undefined when the body was never read (401, OPTIONS, frozen, stalled before read). */
  rpc: string | undefined;
  /** `hs2` (hs2-http), `hs2-tcp` (binary hs2) or `webui`. */
  port: 'hs2' | 'webui' | 'hs2-tcp';
  /** HTTP method and path; empty for `hs2-tcp`. */
  httpMethod: string;
  path: string;
  /** Request headers as Node parsed them (lower-case names; `cookie` joined with `; `); empty for `hs2-tcp`. */
  headers: Record<string, string | string[] | undefined>;
  /** `address:port` of the TCP peer (the proxy, when there is one). */
  remote?: string;
  /** Hex of the 16-byte guid of the session the RPC belongs to, when known. */
  sessionGuidHex?: string;
  user?: string;
  /** HTTP status sent; undefined while the request is held, when the connection was closed without a response, and for `hs2-tcp`. */
  status?: number;
  /** `hs2-tcp`: the reply was written. */
  replied?: boolean;
  time: number;
}

export interface CoordinatorCounters extends AuthCounters {
  /** Thrift RPCs received, by method (counted once the body is read). */
  rpcs: Record<string, number>;
  http401: number;
  /** TCP connections accepted, every port. */
  connectionsAccepted: number;
  /** On the hs2-http port. */
  hs2ConnectionsAccepted: number;
  /** On the binary hs2 port. */
  hs2TcpConnectionsAccepted: number;
  /** Binary hs2 SASL negotiations that completed / failed (wrong password, bad mechanism, bad bytes). */
  saslAuthSuccesses: number;
  saslAuthFailures: number;
}

const DEFAULT_VERSION = '4.5.0-SIMULATED';
let instanceCount = 0;

function loadTls(tls: CoordinatorTlsOptions): { cert: string | Buffer; key: string | Buffer } {
  const cert = tls.cert ?? (tls.certFile ? readFileSync(tls.certFile) : undefined);
  const key = tls.key ?? (tls.keyFile ? readFileSync(tls.keyFile) : undefined);
  if (!cert || !key) throw new Error('simulator tls needs cert/certFile and key/keyFile');
  return { cert, key };
}

function remoteOf(socket: net.Socket): string | undefined {
  return socket.remoteAddress === undefined ? undefined : `${socket.remoteAddress}:${socket.remotePort}`;
}

/** Per start(): everything a crash loses. */
interface Run {
  service: Hs2Service;
  signer: AuthCookieSigner;
  startedAt: number;
  abort: AbortController;
}

export class SimulatedCoordinator {
  readonly name: string;
  readonly host: string;
  /** hs2-http and the web UI speak TLS. */
  readonly isTls: boolean;
  /** The binary hs2 port speaks TLS. */
  readonly isHs2TcpTls: boolean;
  /** The binary hs2 port requires SASL PLAIN (users are configured). */
  readonly isHs2TcpSasl: boolean;
  readonly counters: CoordinatorCounters = {
    rpcs: {},
    http401: 0,
    connectionsAccepted: 0,
    hs2ConnectionsAccepted: 0,
    hs2TcpConnectionsAccepted: 0,
    saslAuthSuccesses: 0,
    saslAuthFailures: 0,
    cookieAuthFailures: 0,
    cookieAuthSuccesses: 0,
    basicAuthFailures: 0,
    basicAuthSuccesses: 0,
  };
  /** Mutable entries, newest last; bounded by `requestLogSize`. */
  readonly requestLog: RequestLogEntry[] = [];
  /** Delay before every hs2 reply; may be changed at any time. */
  delayMs: number;

  readonly #options: CoordinatorOptions;
  readonly #users: ReadonlyMap<string, string> | undefined;
  readonly #tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  readonly #logger: SimulatorLogger;
  readonly #version: string;
  readonly #freeze = new FreezeGate();
  readonly #stalls = new StallRegistry();
  readonly #listeners: CoordinatorListeners;
  #hs2HttpPort: number;
  #webuiPort: number;
  #hs2TcpPort: number;
  #run: Run | undefined;
  #healthy = true;
  #quiescing = false;
  #closed = false;
  #peers: SimulatedCoordinator[] = [];
  #transition: Promise<void> = Promise.resolve();

  constructor(options: CoordinatorOptions = {}) {
    this.#options = options;
    this.name = options.name ?? `coordinator-${++instanceCount}`;
    this.host = options.host ?? '127.0.0.1';
    this.#hs2HttpPort = options.hs2HttpPort ?? 0;
    this.#webuiPort = options.webuiPort ?? 0;
    this.#hs2TcpPort = options.hs2TcpPort ?? 0;
    this.#tls = options.tls ? loadTls(options.tls) : undefined;
    this.isTls = this.#tls !== undefined;
    if (options.hs2TcpTls && !this.#tls) throw new Error('simulator hs2TcpTls needs tls (cert/certFile and key/keyFile)');
    this.isHs2TcpTls = options.hs2TcpTls ?? this.isTls;
    this.isHs2TcpSasl = options.users !== undefined;
    this.#users = options.users ? new Map(Object.entries(options.users)) : undefined;
    this.#logger = options.logger ?? silentLogger;
    this.#version = options.version ?? DEFAULT_VERSION;
    this.delayMs = options.delayMs ?? 0;
    this.#listeners = new CoordinatorListeners(this.host, {
      isFrozen: () => this.#freeze.isFrozen,
      onAccept: (kind) => {
        this.counters.connectionsAccepted++;
        if (kind === 'hs2') this.counters.hs2ConnectionsAccepted++;
        if (kind === 'hs2-tcp') this.counters.hs2TcpConnectionsAccepted++;
      },
    });
  }

  get hs2HttpPort(): number {
    return this.#hs2HttpPort;
  }
  get webuiPort(): number {
    return this.#webuiPort;
  }
  /** The binary hs2 port (hs2HttpPort is hs2-http). */
  get hs2TcpPort(): number {
    return this.#hs2TcpPort;
  }
  /** Open connections on the binary hs2 port. */
  get hs2TcpConnections(): number {
    return this.#listeners.openConnections('hs2-tcp');
  }
  get hs2Url(): string {
    return `${this.isTls ? 'https' : 'http'}://${this.host}:${this.#hs2HttpPort}`;
  }
  get webuiUrl(): string {
    return `${this.isTls ? 'https' : 'http'}://${this.host}:${this.#webuiPort}`;
  }
  get isRunning(): boolean {
    return this.#run !== undefined;
  }
  get isFrozen(): boolean {
    return this.#freeze.isFrozen;
  }
  get isHealthy(): boolean {
    return this.#healthy;
  }
  get isQuiescing(): boolean {
    return this.#quiescing;
  }
  /** Open HS2 sessions (0 while stopped). */
  get openSessions(): number {
    return this.#run?.service.sessionCount ?? 0;
  }
  sessions(): SessionInfo[] {
    return this.#run?.service.sessions() ?? [];
  }
  queries(): QueryInfo[] {
    return this.#run?.service.queries() ?? [];
  }

  /** Whether any logged request carried a cookie named `name` (e.g. the proxy's affinity cookie). */
  sawCookie(name: string): boolean {
    return this.requestLog.some((entry) =>
      String(entry.headers.cookie ?? '')
        .split(';')
        .some((cookie) => cookie.trim().startsWith(`${name}=`)),
    );
  }

  /** Logged hs2 requests for one RPC. */
  rpcLog(rpc: string): RequestLogEntry[] {
    return this.requestLog.filter((entry) => entry.rpc === rpc);
  }

  clearRequestLog(): void {
    this.requestLog.length = 0;
  }

  /** Other coordinators listed by /backends?json (the statestore's membership view). */
  setPeers(peers: readonly SimulatedCoordinator[]): void {
    this.#peers = peers.filter((peer) => peer !== this);
  }

  backendInfo(): BackendInfo {
    return {
      name: this.name,
      host: this.host,
      hs2HttpPort: this.#hs2HttpPort,
      webuiUrl: this.webuiUrl,
      isQuiescing: this.#quiescing,
      startedAt: this.#run?.startedAt ?? 0,
    };
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Listens (on the same ports as before after a stop) with fresh state and no faults. */
  start(): Promise<void> {
    return this.#serialize(() => this.#start());
  }

  /** Like a crashed impalad: listeners closed, every connection destroyed, sessions lost. */
  stop(): Promise<void> {
    return this.#serialize(() => this.#stop());
  }

  /** Idempotent; leaves no handles open. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#serialize(() => this.#stop());
  }

  #serialize(step: () => Promise<void>): Promise<void> {
    const next = this.#transition.then(step);
    this.#transition = next.catch(() => {});
    return next;
  }

  async #start(): Promise<void> {
    if (this.#closed) throw new Error(`${this.name} is closed`);
    if (this.#run) return;
    this.#healthy = true;
    this.#quiescing = false;
    const abort = new AbortController();
    const run: Run = {
      service: new Hs2Service({
        name: this.name,
        version: this.#version,
        webuiAddress: () => `${this.host}:${this.#webuiPort}`,
        webuiUrl: () => this.webuiUrl,
        isQuiescing: () => this.#quiescing,
        signal: abort.signal,
      }),
      signer: new AuthCookieSigner(this.#options.cookieMaxAgeSeconds),
      startedAt: Date.now(),
      abort,
    };
    const hs2Server = createHttpServer(this.#tls, (request, response, expectsContinue) => {
      void this.#onHs2Request(run, request, response, expectsContinue);
    });
    const webuiServer = createHttpServer(this.#tls, (request, response) => {
      void this.#onWebUiRequest(run, request, response);
    });
    try {
      this.#hs2HttpPort = await this.#listeners.listen(this.#hs2HttpPort, 'hs2', (socket) => hs2Server.emit('connection', socket));
      this.#webuiPort = await this.#listeners.listen(this.#webuiPort, 'webui', (socket) => webuiServer.emit('connection', socket));
      const tcpTls = this.isHs2TcpTls ? this.#tls : undefined;
      this.#hs2TcpPort = await this.#listeners.listen(this.#hs2TcpPort, 'hs2-tcp', hs2TcpAcceptor(this.#hs2TcpHandler(run), tcpTls));
    } catch (error) {
      await this.#listeners.close();
      throw error;
    }
    this.#run = run;
    this.#logger.info(
      { coordinator: this.name, hs2Url: this.hs2Url, hs2TcpPort: this.#hs2TcpPort, webuiUrl: this.webuiUrl },
      'simulated coordinator started',
    );
  }

  /** How one run serves binary hs2 connections: this coordinator's freeze, users, counters and service. */
  #hs2TcpHandler(run: Run): Hs2TcpHandler {
    const users = this.#users;
    return {
      gate: () => this.#freeze.pass(),
      ...(users
        ? {
            authenticate: (user: string, password: string) => {
              const valid = users.get(user) === password;
              if (valid) this.counters.saslAuthSuccesses++;
              return valid;
            },
          }
        : {}),
      serve: (message: Buffer, user: string | undefined, socket: net.Socket) => this.#onHs2TcpMessage(run, message, user, socket),
      onSaslFailure: (reason: string) => {
        this.counters.saslAuthFailures++;
        this.#logger.debug({ coordinator: this.name, reason }, 'hs2 SASL negotiation failed; closing the connection');
      },
      maxMessageBytes: this.#options.maxBodyBytes ?? 64 * 1024 * 1024,
    };
  }

  async #stop(): Promise<void> {
    const run = this.#run;
    this.#run = undefined;
    run?.abort.abort(new CoordinatorStoppedError());
    this.#freeze.reset();
    this.#stalls.reset();
    await this.#listeners.close();
    if (run) this.#logger.info({ coordinator: this.name }, 'simulated coordinator stopped');
  }

  // ---- fault injection ----------------------------------------------------------------------

  /** Accept TCP but answer nothing on any port (TLS handshakes, SASL and requests hang) until unfreeze(). */
  freeze(): void {
    this.#freeze.freeze();
  }

  unfreeze(): void {
    this.#freeze.unfreeze();
    this.#listeners.releaseHeld();
  }

  /** Hold every hs2 request for `method`, on either hs2 port (after its body is read), until releaseStalled() or stop(). */
  stall(method: string): void {
    this.#stalls.stall(method);
  }

  /** Stop stalling `method` (or all) and answer the held requests. */
  releaseStalled(method?: string): void {
    this.#stalls.release(method);
  }

  /** Resolves once a request for `method` (or any) is being held. */
  waitForStalled(method?: string): Promise<void> {
    return this.#stalls.waitForHeld(method);
  }

  stalledCount(method?: string): number {
    return this.#stalls.heldCount(method);
  }

  /** `/healthz` answers 503 `Not Available` while unhealthy. */
  setHealthy(healthy: boolean): void {
    this.#healthy = healthy;
  }

  /** Graceful shutdown: `is_quiescing` in /backends?json; OpenSession/ExecuteStatement/GetInfo fail. */
  quiesce(quiescing = true): void {
    this.#quiescing = quiescing;
  }

  // ---- request handling ---------------------------------------------------------------------

  #logEntry(port: 'hs2' | 'webui', request: IncomingMessage): RequestLogEntry {
    return this.#appendLog({
      rpc: undefined,
      port,
      httpMethod: request.method ?? '',
      path: request.url ?? '',
      headers: { ...request.headers },
      remote: remoteOf(request.socket),
      time: Date.now(),
    });
  }

  #appendLog(entry: RequestLogEntry): RequestLogEntry {
    this.requestLog.push(entry);
    const limit = this.#options.requestLogSize ?? 1000;
    if (this.requestLog.length > limit) this.requestLog.splice(0, this.requestLog.length - limit);
    return entry;
  }

  async #onHs2Request(run: Run, request: IncomingMessage, response: ServerResponse, expectsContinue: boolean): Promise<void> {
    const entry = this.#logEntry('hs2', request);
    const socket = request.socket;
    try {
      await this.#freeze.pass();
      if (request.method === 'OPTIONS') {
        entry.status = 200;
        writeOptions(response);
        return;
      }
      // impalad throws on any other method and closes the connection without a response.
      if (request.method !== 'POST') {
        socket.destroy();
        return;
      }
      let user: string | undefined;
      let setCookies: string[] = [];
      if (this.#users) {
        const verdict = authenticate(request.headers, this.#users, run.signer, this.counters);
        setCookies = verdict.setCookies;
        if (!verdict.ok) {
          this.counters.http401++;
          writeUnauthorized(socket, setCookies);
          entry.status = 401;
          return;
        }
        user = verdict.user;
        entry.user = user;
      }
      if (expectsContinue) response.writeContinue();
      const body = await readBody(request, this.#options.maxBodyBytes ?? 64 * 1024 * 1024);
      const reply = await this.#serveRpc(run, body, entry, { user, remote: entry.remote });
      if (run.abort.signal.aborted || socket.destroyed) return;
      writeThriftReply(response, reply, setCookies);
      entry.status = 200;
    } catch (error) {
      if (!(error instanceof CoordinatorStoppedError) && !run.abort.signal.aborted) {
        this.#logger.debug({ coordinator: this.name, err: error }, 'hs2 request failed; closing the connection');
      }
      socket.destroy();
    }
  }

  /** The part of an RPC both hs2 ports share: count, stall, delay, run. Throws for an undecodable message. */
  async #serveRpc(run: Run, body: Buffer, entry: RequestLogEntry, context: RpcContext): Promise<Buffer> {
    const header = readMessageHeader(body);
    entry.rpc = header.method;
    this.counters.rpcs[header.method] = (this.counters.rpcs[header.method] ?? 0) + 1;
    if (this.#stalls.isStalled(header.method)) await this.#stalls.hold(header.method);
    if (this.delayMs > 0) await delay(this.delayMs, undefined, { signal: run.abort.signal });
    const reply = await handleCall(body, run.service, context);
    entry.sessionGuidHex = context.sessionGuidHex;
    return reply;
  }

  /** One message from a binary hs2 connection; undefined closes the connection (stopped, undecodable). */
  async #onHs2TcpMessage(run: Run, message: Buffer, user: string | undefined, socket: net.Socket): Promise<Buffer | undefined> {
    const entry = this.#appendLog({ rpc: undefined, port: 'hs2-tcp', httpMethod: '', path: '', headers: {}, remote: remoteOf(socket), time: Date.now() });
    if (user !== undefined) entry.user = user;
    try {
      await this.#freeze.pass();
      const reply = await this.#serveRpc(run, message, entry, { user, remote: entry.remote });
      if (run.abort.signal.aborted) return undefined;
      entry.replied = true;
      return reply;
    } catch (error) {
      if (!(error instanceof CoordinatorStoppedError) && !run.abort.signal.aborted) {
        this.#logger.debug({ coordinator: this.name, err: error }, 'hs2 message failed; closing the connection');
      }
      return undefined;
    }
  }

  async #onWebUiRequest(run: Run, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const entry = this.#logEntry('webui', request);
    try {
      await this.#freeze.pass();
      await handleWebUiRequest(
        {
          name: this.name,
          version: this.#version,
          isTls: this.isTls,
          startedAt: run.startedAt,
          isHealthy: () => this.#healthy,
          isQuiescing: () => this.#quiescing,
          service: () => run.service,
          backends: () => [this, ...this.#peers.filter((peer) => peer.isRunning)].map((coordinator) => coordinator.backendInfo()),
          ...(this.#options.webuiAuth && this.#users
            ? { auth: { users: this.#users, signer: run.signer, counters: this.counters } }
            : {}),
        },
        request,
        response,
      );
      entry.status = response.statusCode;
    } catch (error) {
      if (!(error instanceof CoordinatorStoppedError) && !run.abort.signal.aborted) {
        this.#logger.debug({ coordinator: this.name, err: error }, 'web UI request failed');
      }
      request.socket.destroy();
    }
  }
}

/** Creates and starts a simulated coordinator. */
export async function startCoordinator(options: CoordinatorOptions = {}): Promise<SimulatedCoordinator> {
  const coordinator = new SimulatedCoordinator(options);
  await coordinator.start();
  return coordinator;
}
