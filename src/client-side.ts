// The client side of a proxy process: the client listeners (HTTPS/HTTP and TCP), the config
// generations they serve, and where each request and connection ends (metrics, access log, the
// sessions it opened or closed). One process has one; with workers (src/cluster/) each worker has
// one and the primary has none. What it serves against — the coordinator registry, the session
// map, the health monitor — is given: the process's own (main.ts), or a worker's replicas kept by
// the sync channel (cluster/worker.ts).
import { readinessOf, type Readiness } from './admin/probes.ts';
import type { Config } from './config/schema.ts';
import { RequestDispatcher } from './dispatch.ts';
import { buildGeneration, closeGeneration, type Generation, type ProcessParts } from './generation.ts';
import { AccessLog } from './hs2/access-log.ts';
import type { Outcome } from './hs2/outcome.ts';
import type { SessionMap } from './hs2/session-map.ts';
import { createAccessLogger, type Logger } from './log.ts';
import { ProxyMetrics, type MetricsRole } from './metrics/metrics.ts';
import { closeListeners, startListeners, updateListeners, type Listener } from './server.ts';
import { TcpFrontEnd, type TcpObserver } from './tcp/front-end.ts';
import type { TcpOutcome } from './tcp/outcome.ts';
import type { CoordinatorSet } from './upstream/coordinator-set.ts';
import type { HealthMonitor } from './upstream/health-monitor.ts';
import type { CoordinatorRegistry } from './upstream/registry.ts';

/** Sessions that requests opened or closed: into the session map (one process), or to the primary (a worker). */
export interface SessionEvents {
  opened(key: string, coordinator: string): void;
  closed(key: string): void;
}

export interface ClientSideOptions {
  readonly registry: CoordinatorRegistry;
  readonly sessions: SessionMap;
  readonly monitor: HealthMonitor;
  readonly sessionEvents: SessionEvents;
  readonly secrets: (config: Config) => readonly string[];
  readonly logger: Logger;
  readonly metricsRole: MetricsRole;
  /** Extra fields of every access line (a worker's `worker: <id>`), serialised once by pino. */
  readonly accessBindings?: Readonly<Record<string, unknown>>;
}

export class ClientSide {
  readonly metrics: ProxyMetrics;
  readonly listeners: Listener[] = [];
  readonly tcpFrontEnds: TcpFrontEnd[] = [];
  readonly #options: ClientSideOptions;
  readonly #parts: ProcessParts;
  readonly #accessLog: AccessLog | undefined;
  /** Old generations whose pools are still finishing their requests. */
  readonly #retiring = new Map<Generation, Promise<void>>();
  #current!: Generation;
  #closing: Promise<void> | undefined;

  /** Ends every hs2 request: the session it opened or closed, metrics, access line. */
  readonly finish = (outcome: Outcome): void => {
    if (outcome.openedSession !== undefined && outcome.servedBy !== undefined) this.#options.sessionEvents.opened(outcome.openedSession, outcome.servedBy);
    else if (outcome.closedSession !== undefined) this.#options.sessionEvents.closed(outcome.closedSession);
    this.metrics.observe(outcome);
    this.#accessLog?.write(outcome);
  };

  readonly #tcpObserver: TcpObserver = {
    connected: (listener: string, coordinator: string) => this.metrics.tcpConnected(listener, coordinator),
    finished: (outcome: TcpOutcome) => {
      this.metrics.observeTcp(outcome);
      this.#accessLog?.writeTcp(outcome);
    },
    tlsError: (listener: string, code: string | undefined) => this.metrics.countTlsError(listener, code),
  };

  private constructor(config: Config, options: ClientSideOptions) {
    this.#options = options;
    const { logger, sessions } = options;
    this.metrics = new ProxyMetrics(
      {
        coordinators: () => this.#current.coordinators.all,
        learnedSessions: () => sessions.size,
        clientConnections: () => this.clientConnections(),
        tcpListeners: () => this.tcpFrontEnds,
      },
      options.metricsRole,
    );
    if (config.log.access && logger.isLevelEnabled('info')) {
      const accessLogger = createAccessLogger(logger);
      this.#accessLog = new AccessLog(options.accessBindings === undefined ? accessLogger : accessLogger.child(options.accessBindings));
    }
    this.#parts = { registry: options.registry, sessions, monitor: options.monitor, current: () => this.#current, finish: this.finish, secrets: options.secrets, logger };
  }

  /**
   * Builds generation `number` from `config` and starts every client listener on it; a listener that
   * cannot bind (ListenError) or a file that does not load rejects, with everything released.
   */
  static async start(config: Config, number: number, options: ClientSideOptions, prepare?: (generation: Generation) => void): Promise<ClientSide> {
    const side = new ClientSide(config, options);
    side.#current = side.build(config, number);
    prepare?.(side.#current);
    const { logger } = options;
    try {
      side.listeners.push(
        ...(await startListeners(config, side.#current.frontTls, new RequestDispatcher(() => side.#current, () => side.readiness(), logger), logger, {
          onConnection: (kind) => side.metrics.countConnection(kind),
          onTlsHandshake: (kind) => side.metrics.countHandshake(kind),
          onTlsError: (kind, code) => side.metrics.countTlsError(kind, code),
        })),
      );
      for (const [i, listener] of config.tcp.entries()) {
        side.tcpFrontEnds.push(
          await TcpFrontEnd.start(
            { config: listener, current: () => side.#current, monitor: options.monitor, observer: side.#tcpObserver, logger, tls: side.#current.frontTls, tlsHandshakeTimeoutMs: config.server.tlsHandshakeTimeoutMs },
            `tcp[${i}]`,
          ),
        );
      }
    } catch (error) {
      await Promise.all([closeListeners(side.listeners, 0), ...side.tcpFrontEnds.map((frontEnd) => frontEnd.close(0))]);
      await closeGeneration(side.#current, false);
      side.metrics.close();
      throw error;
    }
    return side;
  }

  get current(): Generation {
    return this.#current;
  }

  /** A generation wired to this side's process parts; throws (having released what it built) when any part fails. */
  build(config: Config, number: number): Generation {
    return buildGeneration(config, number, this.#parts);
  }

  /**
   * The swap of a reload, in one tick: the old generation stops probing and retires (its pools close
   * once its requests are done); `beforeSwap` brings the registry to the new config (health reset
   * for moved coordinators, operator overrides), then the new generation serves, with its
   * certificate and timeouts, and disabled coordinators lose their TCP connections.
   */
  swap(generation: Generation, beforeSwap: () => void): void {
    const previous = this.#current;
    this.#retiring.set(previous, closeGeneration(previous, true).finally(() => this.#retiring.delete(previous)));
    beforeSwap();
    this.#current = generation;
    updateListeners(this.listeners, generation.config, generation.frontTls);
    for (const frontEnd of this.tcpFrontEnds) frontEnd.setSecureContext(generation.frontTls);
    this.closeDisabledConnections();
    this.#options.registry.retain(new Set(generation.config.coordinators.map((c) => c.name)));
  }

  /** Disabled = no traffic: the TCP connections of every disabled coordinator are closed (draining keeps them). */
  closeDisabledConnections(coordinators: CoordinatorSet = this.#current.coordinators): void {
    for (const coordinator of coordinators.all) {
      if (coordinator.operatorState !== 'disabled') continue;
      for (const connection of [...coordinator.state.connections]) connection.shutDown('disabled');
    }
  }

  /**
   * A coordinator marked down: its requests in flight, of whatever generation, move to peers
   * (DESIGN §5); its TCP connections are closed so that their clients reconnect elsewhere. Not
   * inside the callback that reported the failure: each failover starts a new dispatch.
   */
  moveOff(name: string, reason: string): void {
    const state = this.#options.registry.get(name);
    if (state === undefined || (state.inFlight.size === 0 && state.connections.size === 0)) return;
    queueMicrotask(() => {
      for (const request of [...state.inFlight]) request.failover(reason);
      for (const connection of [...state.connections]) connection.shutDown('coordinator-down');
    });
  }

  readiness(): Readiness {
    return readinessOf(this.#current.coordinators);
  }

  /** Open client connections of the hs2-http listeners, by kind (https, http); TCP listeners count their own. */
  clientConnections(): Promise<ReadonlyMap<string, number>> {
    return Promise.all(
      this.listeners.map(
        (listener) => new Promise<[string, number]>((resolve) => listener.server.getConnections((error, count) => resolve([listener.kind, error ? 0 : count]))),
      ),
    ).then((entries) => new Map(entries));
  }

  /** Stops accepting; requests in flight get `graceMs` (then whatever still holds a pool is cut). Idempotent. */
  close(graceMs: number): Promise<void> {
    this.#closing ??= (async () => {
      const deadline = setTimeout(() => {
        this.#options.logger.warn({ event: 'shutdown-timeout', graceMs }, `in-flight requests did not finish within ${graceMs} ms: closing them`);
        for (const generation of [this.#current, ...this.#retiring.keys()]) void generation.coordinators.destroy();
      }, graceMs);
      await Promise.all([closeListeners(this.listeners, graceMs), ...this.tcpFrontEnds.map((frontEnd) => frontEnd.close(graceMs))]);
      await closeGeneration(this.#current, true);
      await Promise.all(this.#retiring.values());
      clearTimeout(deadline);
      this.metrics.close();
    })();
    return this.#closing;
  }
}
