// One client connection on a TCP listener (binary HS2, Beeswax): choose a coordinator at connect,
// connect to it (the next candidate when a connect fails before any client byte was delivered),
// then move bytes both ways with backpressure until either side ends, goes idle, or the proxy
// closes it because its coordinator was marked down or disabled (HAProxy's on-marked-down
// shutdown-sessions: a client blocked on a frozen coordinator gets a transport error and
// reconnects, instead of hanging; impyla has no timeout of its own). Ends in one TcpOutcome.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ProxyError, fromUpstreamError } from '../errors.ts';
import { tlsConnectOptions } from '../tls/files.ts';
import type { Candidates } from '../hs2/candidates.ts';
import type { Coordinator } from '../upstream/coordinator.ts';
import type { CarriedConnection } from '../upstream/registry.ts';
import type { ListenedConnection, TcpContext } from './context.ts';
import type { TcpEnd } from './outcome.ts';

/**
 * Client bytes kept while no coordinator has accepted the connection yet (a TLS ClientHello in
 * passthrough mode, an impyla OpenSession): enough for a first message; past this the client is
 * not read until a coordinator answers.
 */
const maxPendingBytes = 64 * 1024;

export class TcpConnection implements CarriedConnection, ListenedConnection {
  readonly #context: TcpContext;
  readonly #client: Socket;
  readonly #candidates: Candidates;
  readonly #clientIp: string;
  readonly #startedAt = performance.now();
  #coordinator: Coordinator | undefined;
  #upstream: Socket | undefined;
  #isConnected = false;
  #pending: Buffer[] | undefined = [];
  #pendingBytes = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  readonly #failedConnects: { coordinator: string; code: string }[] = [];
  #isEnded = false;

  /** `clientIp`: the client's address as the listener computed it once (clientAddress), for the outcome. */
  constructor(context: TcpContext, client: Socket, clientIp: string, candidates: Candidates) {
    this.#context = context;
    this.#client = client;
    this.#candidates = candidates;
    this.#clientIp = clientIp;
    client.setNoDelay(true);
    client.setTimeout(context.settings().clientIdleTimeoutMs, () => this.#end('client-idle'));
    client.on('data', (chunk: Buffer) => this.#onClientData(chunk));
    client.on('end', () => this.#end('client-closed'));
    client.on('close', () => this.#end('client-closed'));
    client.on('error', (error) => this.#end('client-error', new ProxyError('CLIENT_ABORTED', `client connection failed: ${error.message}`, { cause: error })));
    context.track(this);
    this.#connectNext();
  }

  get coordinator(): string | undefined {
    return this.#isConnected ? this.#coordinator?.name : undefined;
  }

  /** CarriedConnection: its coordinator was marked down or disabled. */
  shutDown(reason: 'coordinator-down' | 'disabled'): void {
    this.#end(reason);
  }

  /** The proxy is shutting down and the grace period is over. */
  close(): void {
    this.#end('shutdown');
  }

  /** `lastFailure`: why the connect before this one failed, the connection's error if no candidate is left. */
  #connectNext(lastFailure?: ProxyError): void {
    const coordinator = this.#candidates.next();
    if (coordinator === undefined) {
      if (lastFailure !== undefined) return this.#end('connect-failed', lastFailure);
      return this.#end('no-coordinator', new ProxyError('NO_COORDINATOR', 'no coordinator is available'));
    }
    this.#candidates.markTried(coordinator);
    this.#coordinator = coordinator;
    coordinator.state.attach(this);
    const settings = this.#context.settings();
    const host = coordinator.config.host;
    const port = coordinator.config[settings.coordinatorPort];
    const upstream: Socket =
      settings.tls === 'bridge'
        ? tlsConnect({ host, port, ...tlsConnectOptions(this.#context.upstreamTls(), host) })
        : netConnect({ host, port });
    this.#upstream = upstream;
    upstream.setNoDelay(true);
    // Until connected, the socket timeout is the connect limit; then it is the idle limit.
    upstream.setTimeout(settings.connectTimeoutMs, () => {
      if (this.#isConnected) this.#end('coordinator-idle');
      else this.#connectFailed(upstream, new ProxyError('UPSTREAM_CONNECT_TIMEOUT', `connect timed out to ${coordinator.name} after ${settings.connectTimeoutMs} ms`));
    });
    upstream.once(settings.tls === 'bridge' ? 'secureConnect' : 'connect', () => this.#onConnected(upstream));
    upstream.on('error', (error) => {
      if (this.#isConnected) this.#end('coordinator-error', fromUpstreamError(error, coordinator.name));
      else this.#connectFailed(upstream, fromUpstreamError(error, coordinator.name));
    });
    upstream.on('data', (chunk: Buffer) => this.#onUpstreamData(chunk));
    upstream.on('end', () => this.#end('coordinator-closed'));
    upstream.on('close', () => {
      if (this.#isConnected) this.#end('coordinator-closed');
    });
  }

  #onConnected(upstream: Socket): void {
    if (this.#isEnded || upstream !== this.#upstream) return;
    this.#isConnected = true;
    upstream.setTimeout(this.#context.settings().serverIdleTimeoutMs);
    const pending = this.#pending!;
    this.#pending = undefined;
    // The client may be paused for a full buffer: it resumes when the coordinator takes what was
    // held, not before (resuming at once would undo the backpressure of the writes just made).
    let ready = true;
    for (const chunk of pending) ready = upstream.write(chunk);
    if (ready) this.#client.resume();
    else upstream.once('drain', () => this.#client.resume());
    this.#context.connected(this.#coordinator!.name);
  }

  /** Nothing reached the coordinator (the client's bytes are still here): the next one may take it. */
  #connectFailed(upstream: Socket, error: ProxyError): void {
    if (this.#isEnded || upstream !== this.#upstream) return;
    const coordinator = this.#coordinator!;
    upstream.removeAllListeners();
    upstream.on('error', () => undefined);
    upstream.destroy();
    coordinator.state.detach(this);
    this.#upstream = undefined;
    this.#coordinator = undefined;
    this.#failedConnects.push({ coordinator: coordinator.name, code: error.code });
    // A refused or timed-out connect is about the coordinator whatever the client sent.
    this.#context.monitor.observeFailure(coordinator.name, error);
    this.#connectNext(error);
  }

  #onClientData(chunk: Buffer): void {
    this.#bytesIn += chunk.length;
    const pending = this.#pending;
    if (pending === undefined) return this.#forward(chunk);
    pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= maxPendingBytes) this.#client.pause();
  }

  #forward(chunk: Buffer): void {
    const upstream = this.#upstream!;
    if (!upstream.write(chunk)) {
      this.#client.pause();
      upstream.once('drain', () => this.#client.resume());
    }
  }

  #onUpstreamData(chunk: Buffer): void {
    this.#bytesOut += chunk.length;
    if (!this.#client.write(chunk)) {
      this.#upstream!.pause();
      this.#client.once('drain', () => this.#upstream?.resume());
    }
  }

  /**
   * `error`: this end's own cause (no-coordinator, connect-failed, coordinator-error,
   * client-error); a connect that failed before is in failedConnects, never the connection's error.
   */
  #end(end: TcpEnd, error?: ProxyError): void {
    if (this.#isEnded) return;
    this.#isEnded = true;
    const coordinator = this.#coordinator;
    coordinator?.state.detach(this);
    // One side closed cleanly: pass the close on cleanly (what it sent last still arrives). Every
    // other end cuts both sides at once.
    if (end === 'coordinator-closed') this.#client.end();
    else this.#client.destroy();
    if (end === 'client-closed' && this.#isConnected) this.#upstream?.end();
    else this.#upstream?.destroy();
    this.#context.finish(this, {
      listener: this.#context.name,
      client: this.#clientIp,
      coordinator: this.#isConnected ? coordinator?.name : undefined,
      end,
      ms: performance.now() - this.#startedAt,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      failedConnects: this.#failedConnects,
      error,
    });
  }
}
