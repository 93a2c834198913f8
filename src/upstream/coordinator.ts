// One configured coordinator: its identity, its upstream pool, and the state that routing reads
// (health × operator state, learned sessions, in-flight requests).
import { isIP } from 'node:net';
import { Pool } from 'undici';
import type { CoordinatorConfig, Config, OperatorState } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { UpstreamTlsOptions } from '../tls/files.ts';

export type HealthState = 'up' | 'down';

/** An in-flight hs2 exchange that can be moved to a peer if its coordinator is marked down. */
export interface FailoverTarget {
  failover(reason: string): void;
}

export interface CoordinatorOptions {
  readonly config: CoordinatorConfig;
  /** 1-based position in the config (the n of /ui/<n>). */
  readonly index: number;
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
  readonly hs2Origin: string;
  readonly webuiOrigin: string;
  readonly setCookie: { readonly plain: string; readonly secure: string };
  readonly pool: Pool;
  readonly logger: Logger;

  health: HealthState = 'up';
  healthSince = Date.now();
  healthReason = 'initial';
  operatorState: OperatorState;
  /** /backends?json says this impalad is shutting down gracefully: treat as draining. */
  isQuiescing = false;

  /** HS2 sessions learned from OpenSession replies (least-sessions). */
  sessions = 0;
  /** OpenSession requests sent here whose reply has not arrived yet. */
  pendingOpens = 0;
  readonly inFlight = new Set<FailoverTarget>();

  constructor(options: CoordinatorOptions) {
    const { config, upstream, tls } = options;
    this.index = options.index;
    this.name = config.name;
    this.config = config;
    this.weight = config.weight;
    this.operatorState = config.state;
    this.setCookie = options.setCookie;
    this.logger = options.logger.child({ coordinator: config.name });
    const hostPart = isIP(config.host) === 6 ? `[${config.host}]` : config.host;
    this.hs2Origin = `${upstream.mode === 'tls' ? 'https' : 'http'}://${hostPart}:${config.hs2Port}`;
    this.webuiOrigin = `${options.webuiTls ? 'https' : 'http'}://${hostPart}:${config.webuiPort}`;
    this.pool = new Pool(this.hs2Origin, {
      connections: upstream.connectionsPerCoordinator,
      pipelining: 1,
      keepAliveTimeout: upstream.keepAliveTimeoutMs,
      // A coordinator closes idle connections on its own schedule; do not keep one past ours.
      keepAliveMaxTimeout: upstream.keepAliveTimeoutMs,
      headersTimeout: upstream.headersTimeoutMs,
      bodyTimeout: upstream.bodyIdleTimeoutMs,
      connectTimeout: upstream.connectTimeoutMs,
      ...(upstream.mode === 'tls' && { connect: tlsConnectOptions(tls, config.host) }),
    });
  }

  /** May take new clients. */
  get isAvailable(): boolean {
    return this.health === 'up' && this.operatorState === 'enabled' && !this.isQuiescing;
  }

  /** May keep serving the clients already pinned here (draining keeps them). */
  get acceptsPinned(): boolean {
    return this.health === 'up' && this.operatorState !== 'disabled';
  }

  /** Returns true when the state changed. */
  setHealth(health: HealthState, reason: string): boolean {
    if (this.health === health) return false;
    this.health = health;
    this.healthSince = Date.now();
    this.healthReason = reason;
    this.logger.warn({ event: 'health', health, reason }, `coordinator ${this.name} is ${health}: ${reason}`);
    if (health === 'down') this.failoverInFlight(reason);
    return true;
  }

  /** Moves every request waiting on this coordinator to a peer (DESIGN §5). */
  failoverInFlight(reason: string): void {
    for (const target of [...this.inFlight]) target.failover(reason);
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}

function tlsConnectOptions(tls: UpstreamTlsOptions | undefined, host: string) {
  return {
    ...tls,
    rejectUnauthorized: tls?.rejectUnauthorized ?? true,
    // SNI must be a host name: Node refuses an IP address as servername (RFC 6066 §3).
    ...(tls?.servername === undefined && isIP(host) === 0 && { servername: host }),
  };
}
