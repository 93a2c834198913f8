// A TCP listener (DESIGN §10): binary HS2 (impalad --hs2_port) or Beeswax, with the same
// coordinators, health, drain and backups as the hs2-http front end. Binary HS2 keeps a session on
// its TCP connection, so the connection is the affinity: a coordinator is chosen once, at connect.
// Process lifetime: the listening socket and its connections; which coordinators, policy and
// timeouts apply is read from the generation serving when each connection arrives.
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Policy } from '../balancer/index.ts';
import { createPolicy } from '../balancer/index.ts';
import type { TcpListenerConfig } from '../config/schema.ts';
import type { Generation } from '../generation.ts';
import { Candidates, type Routing } from '../hs2/candidates.ts';
import { clientAddress } from '../http/headers.ts';
import type { Logger } from '../log.ts';
import type { FrontTlsOptions } from '../tls/files.ts';
import type { HealthMonitor } from '../upstream/health-monitor.ts';
import { ListenError } from '../server.ts';
import { TcpConnection } from './connection.ts';
import type { ListenedConnection, TcpContext } from './context.ts';
import type { TcpOutcome } from './outcome.ts';

/** Connection events, for metrics and the access log. */
export interface TcpObserver {
  connected(listener: string, coordinator: string): void;
  finished(outcome: TcpOutcome): void;
  tlsError(listener: string, code: string | undefined): void;
}

export interface TcpFrontEndOptions {
  readonly config: TcpListenerConfig;
  readonly current: () => Generation;
  readonly monitor: HealthMonitor;
  readonly observer: TcpObserver;
  readonly logger: Logger;
  /** terminate and bridge: the front-end certificate (the generation's). */
  readonly tls: FrontTlsOptions | undefined;
  readonly tlsHandshakeTimeoutMs: number;
}

export class TcpFrontEnd implements TcpContext {
  readonly name: string;
  readonly host: string;
  readonly mode: TcpListenerConfig['tls'];
  readonly connections = new Set<ListenedConnection>();
  readonly monitor: HealthMonitor;
  readonly #options: TcpFrontEndOptions;
  readonly #server: Server;
  /** Used while the generation serving has no listener of this name (a reload removed it: it runs until restart). */
  readonly #fallbackPolicy: Policy;
  /** What candidates are chosen from: the generation serving at the time of asking. One function per listener, shared by its connections. */
  readonly #routingNow = (): Routing => {
    const generation = this.#options.current();
    return { coordinators: generation.coordinators, policy: generation.tcp.get(this.name)?.policy ?? this.#fallbackPolicy };
  };
  #port = 0;
  #isClosing = false;
  #closed: (() => void) | undefined;

  private constructor(options: TcpFrontEndOptions) {
    const { config } = options;
    this.#options = options;
    this.name = config.name;
    this.host = config.host;
    this.mode = config.tls;
    this.monitor = options.monitor;
    this.#fallbackPolicy = createPolicy(config.policy);
    const accept = (socket: Socket) => this.#accept(socket);
    if (config.tls === 'terminate' || config.tls === 'bridge') {
      const server = createTlsServer({ ...options.tls!, handshakeTimeout: options.tlsHandshakeTimeoutMs }, accept);
      server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
        options.observer.tlsError(this.name, error.code);
        socket.destroy();
      });
      // As on the HTTPS listener: no Impala client renegotiates, and each one would cost a handshake.
      server.on('secureConnection', (socket: TLSSocket) => socket.disableRenegotiation());
      this.#server = server;
    } else {
      this.#server = createNetServer({ noDelay: true }, accept);
    }
  }

  /** `key`: the listener's config key (tcp[i]), for a start failure that names it. */
  static async start(options: TcpFrontEndOptions, key: string): Promise<TcpFrontEnd> {
    const frontEnd = new TcpFrontEnd(options);
    const { host, port } = options.config;
    await new Promise<void>((resolve, reject) => {
      frontEnd.#server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(key, host, port, error)));
      frontEnd.#server.listen(port, host, () => {
        frontEnd.#server.off('error', reject);
        resolve();
      });
    });
    frontEnd.#port = (frontEnd.#server.address() as AddressInfo).port;
    options.logger.info({ event: 'listening', kind: 'tcp', listener: frontEnd.name, host, port: frontEnd.#port, tls: frontEnd.mode }, `listening on tcp://${host}:${frontEnd.#port} (${frontEnd.name}, TLS ${frontEnd.mode})`);
    return frontEnd;
  }

  get port(): number {
    return this.#port;
  }

  // ---- TcpContext, for the connections -------------------------------------------------------

  settings(): TcpListenerConfig {
    return this.#routing()?.config ?? this.#options.config;
  }

  upstreamTls() {
    return this.#options.current().upstreamTls;
  }

  track(connection: ListenedConnection): void {
    this.connections.add(connection);
  }

  connected(coordinator: string): void {
    this.#options.observer.connected(this.name, coordinator);
  }

  finish(connection: ListenedConnection, outcome: TcpOutcome): void {
    this.connections.delete(connection);
    this.#options.observer.finished(outcome);
    if (this.#closed !== undefined && this.connections.size === 0) this.#closed();
  }

  // ---- listener ----------------------------------------------------------------------------

  /** A reload's new front-end certificate, for new handshakes (terminate, bridge). */
  setSecureContext(tls: FrontTlsOptions | undefined): void {
    if (tls !== undefined && 'setSecureContext' in this.#server) (this.#server as TlsServer).setSecureContext(tls);
  }

  /** Open connections per coordinator, for metrics and the status page. */
  openByCoordinator(): Map<string, number> {
    const counts = new Map(this.#options.current().coordinators.all.map((coordinator) => [coordinator.name, 0]));
    for (const { coordinator } of this.connections) if (coordinator !== undefined) counts.set(coordinator, (counts.get(coordinator) ?? 0) + 1);
    return counts;
  }

  /**
   * Stops accepting; open connections get `graceMs` to end on their own (a binary HS2 session
   * lives as long as its client keeps it), then are closed.
   */
  close(graceMs: number): Promise<void> {
    this.#isClosing = true;
    const done = new Promise<void>((resolve) => {
      if (this.connections.size === 0) resolve();
      else this.#closed = resolve;
    });
    const listening = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const timer = setTimeout(() => {
      for (const connection of [...this.connections]) connection.close();
    }, graceMs);
    return Promise.all([done, listening]).then(() => clearTimeout(timer));
  }

  #routing(): { readonly config: TcpListenerConfig; readonly policy: Policy } | undefined {
    return this.#options.current().tcp.get(this.name);
  }

  #accept(socket: Socket): void {
    if (this.#isClosing) {
      socket.destroy();
      return;
    }
    // Once per connection: the source-ip policy hashes it, the access line and metrics report it.
    const clientIp = clientAddress(socket.remoteAddress);
    new TcpConnection(this, socket, clientIp, new Candidates(this.#routingNow, { clientIp }));
  }
}
