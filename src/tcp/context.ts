// What a TCP connection needs from its listener: settings of the generation serving now, the
// health monitor for connect failures, and where its end goes. Connections never reach back
// into the listener otherwise.
import type { TcpListenerConfig } from '../config/schema.ts';
import type { HealthMonitor } from '../upstream/health-monitor.ts';
import type { UpstreamTlsOptions } from '../tls/files.ts';
import type { TcpOutcome } from './outcome.ts';

/** A connection as its listener sees it. */
export interface ListenedConnection {
  /** The coordinator carrying it, once one accepted it. */
  readonly coordinator: string | undefined;
  /** The shutdown grace period is over. */
  close(): void;
}

export interface TcpContext {
  readonly name: string;
  /** This listener's settings in the current generation. */
  settings(): TcpListenerConfig;
  /** Upstream TLS material of the current generation (bridge mode). */
  upstreamTls(): UpstreamTlsOptions | undefined;
  readonly monitor: HealthMonitor;
  track(connection: ListenedConnection): void;
  /** A coordinator accepted the connection (the TLS handshake done, in bridge mode). */
  connected(coordinator: string): void;
  finish(connection: ListenedConnection, outcome: TcpOutcome): void;
}
