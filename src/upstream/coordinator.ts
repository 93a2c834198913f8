// One configured coordinator in one config generation: identity, addresses, the precomputed
// Set-Cookie values that pin a client to it, and its upstream connection pools (wiring). What is
// known about it at run time — health, operator state, sessions, requests in flight — lives in its
// process-lifetime CoordinatorState (registry.ts) and is only read through here.
import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import type { Config, CoordinatorConfig, OperatorState } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { tlsConnectOptions, type UpstreamTlsOptions } from '../tls/files.ts';
import type { HealthState } from './health-machine.ts';
import type { CoordinatorState, InFlight, ProbeResult } from './registry.ts';
import { Pool } from './undici.ts';

export type { HealthState };

/** A dispatch handler that can tell whether undici rejected the dispatch before queueing it. */
export interface DispatchAttempt extends Dispatcher.DispatchHandler {
  /** Set by Coordinator.dispatch around the call into undici. */
  isInDispatch: boolean;
  /** Set by the handler when onResponseError arrived while isInDispatch. */
  wasRejected: boolean;
}

export interface CoordinatorOptions {
  readonly config: CoordinatorConfig;
  /** 1-based position in the config (the n of /ui/<n>). */
  readonly index: number;
  readonly state: CoordinatorState;
  readonly upstream: Config['upstream'];
  readonly tls: UpstreamTlsOptions | undefined;
  readonly webuiTls: boolean;
  /** Precomputed Set-Cookie values that pin a client here: [plain listener, TLS listener]. */
  readonly setCookie: { readonly plain: string; readonly secure: string };
  readonly logger: Logger;
}

export class Coordinator {
  readonly index: number;
  readonly name: string;
  readonly config: CoordinatorConfig;
  readonly weight: number;
  readonly isBackup: boolean;
  readonly hs2Origin: string;
  readonly webuiOrigin: string;
  readonly setCookie: { readonly plain: string; readonly secure: string };
  readonly state: CoordinatorState;
  readonly logger: Logger;
  readonly #upstream: Config['upstream'];
  readonly #connect: object | undefined;
  /** Ordinary RPCs: bodies kept whole (up to maxReplayBytes). */
  #pool: Pool;
  /** Request bodies too large to keep, streamed: their own few connections, so slow uploads cannot take the ones RPCs need. */
  #streamPool: Pool;

  constructor(options: CoordinatorOptions) {
    const { config, upstream, tls } = options;
    this.index = options.index;
    this.name = config.name;
    this.config = config;
    this.weight = config.weight;
    this.isBackup = config.backup;
    this.state = options.state;
    this.setCookie = options.setCookie;
    this.logger = options.logger.child({ coordinator: config.name });
    this.#upstream = upstream;
    const hostPart = isIP(config.host) === 6 ? `[${config.host}]` : config.host;
    this.hs2Origin = `${upstream.mode === 'tls' ? 'https' : 'http'}://${hostPart}:${config.hs2HttpPort}`;
    this.webuiOrigin = `${options.webuiTls ? 'https' : 'http'}://${hostPart}:${config.webuiPort}`;
    this.#connect = upstream.mode === 'tls' ? tlsConnectOptions(tls, config.host) : undefined;
    this.#pool = this.#makePool(upstream.connectionsPerCoordinator);
    this.#streamPool = this.#makePool(upstream.streamingConnectionsPerCoordinator);
  }

  get health(): HealthState {
    return this.state.health.state;
  }

  get healthSince(): number {
    return this.state.health.sinceMs;
  }

  get healthReason(): string {
    return this.state.health.reason;
  }

  get operatorState(): OperatorState {
    return this.state.operatorState(this.config.state);
  }

  get isQuiescing(): boolean {
    return this.state.isQuiescing;
  }

  get sessions(): number {
    return this.state.sessions;
  }

  get pendingOpens(): number {
    return this.state.pendingOpens;
  }

  /** Open (and opening) TCP connections to it, of every TCP listener and every worker. */
  get connections(): number {
    return this.state.connectionCount;
  }

  get inFlight(): ReadonlySet<InFlight> {
    return this.state.inFlight;
  }

  get lastProbe(): ProbeResult | undefined {
    return this.state.lastProbe;
  }

  /** The pool of ordinary RPCs (metrics read its stats). */
  get pool(): Pool {
    return this.#pool;
  }

  /** May take new clients. */
  get isAvailable(): boolean {
    return this.health === 'up' && this.operatorState === 'enabled' && !this.state.isQuiescing;
  }

  /** May keep serving the clients already pinned here (draining keeps them). */
  get acceptsPinned(): boolean {
    return this.health === 'up' && this.operatorState !== 'disabled';
  }

  /**
   * Sends one request. undici answers a request it refuses to build (a bad path, a bad header) by
   * calling onResponseError inside dispatch() and marking the pool's client as needing a drain
   * that never comes (undici 8 pool-base.js kDispatch): 16 such requests left every slot of a pool
   * unusable and every later RPC queued forever. Such a pool is replaced at once; its requests in
   * flight finish on it.
   */
  dispatch(options: Dispatcher.DispatchOptions, handler: DispatchAttempt, isStreaming: boolean): void {
    const pool = isStreaming ? this.#streamPool : this.#pool;
    handler.isInDispatch = true;
    try {
      pool.dispatch(options, handler);
    } finally {
      handler.isInDispatch = false;
    }
    if (!handler.wasRejected || pool.closed || pool.destroyed) return;
    this.logger.error({ event: 'pool-replaced', streaming: isStreaming }, `undici refused a request to ${this.name} before sending it: replacing the connection pool`);
    const fresh = this.#makePool(isStreaming ? this.#upstream.streamingConnectionsPerCoordinator : this.#upstream.connectionsPerCoordinator);
    if (isStreaming) this.#streamPool = fresh;
    else this.#pool = fresh;
    void pool.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([this.#pool.close(), this.#streamPool.close()]);
  }

  async destroy(): Promise<void> {
    await Promise.all([this.#pool.destroy(), this.#streamPool.destroy()]);
  }

  #makePool(connections: number): Pool {
    const upstream = this.#upstream;
    return new Pool(this.hs2Origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: upstream.keepAliveTimeoutMs,
      // A coordinator closes idle connections on its own schedule; do not keep one past ours.
      keepAliveMaxTimeout: upstream.keepAliveTimeoutMs,
      headersTimeout: upstream.headersTimeoutMs,
      bodyTimeout: upstream.bodyIdleTimeoutMs,
      connectTimeout: upstream.connectTimeoutMs,
      ...(this.#connect !== undefined && { connect: this.#connect }),
    });
  }
}
