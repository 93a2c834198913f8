// Composition root of a worker process (server.workers > 1): the client side of one process
// (client-side.ts: the shared client listeners, generations, metrics, access log) over replicas of
// the primary's state, which only the sync channel writes (worker-sync.ts). What its requests
// learn goes to the primary: passive health evidence, sessions opened and closed, TCP connection
// counts. A health transition comes back as `health`, and this worker moves its own requests off a
// coordinator marked down and closes its own TCP connections there, as one process does.
//
// Reloads come in two steps: `reload-prepare` builds the generation (a failure is reported, and
// nothing changes), `reload-commit` swaps it in with the primary's post-reload registry state.
import { ClientSide } from '../client-side.ts';
import type { Config } from '../config/schema.ts';
import { closeGeneration, type Generation } from '../generation.ts';
import { SessionMap } from '../hs2/session-map.ts';
import type { Logger } from '../log.ts';
import { HealthMonitor } from '../upstream/health-monitor.ts';
import { CoordinatorRegistry } from '../upstream/registry.ts';
import type { Answer, BoundListener, Outbox, Question, StartMessage, ToPrimary, ToWorker, WorkerReport } from './protocol.ts';
import { WorkerSync } from './worker-sync.ts';

export class ProxyWorker {
  readonly #logger: Logger;
  readonly #outbox: Outbox<ToPrimary>;
  /** What the start message said to serve first; the rest of it (state, sessions) is in the replicas. */
  readonly #startConfig: Config;
  readonly #startGeneration: number;
  readonly #id: number;
  readonly #sessions: SessionMap;
  readonly #registry: CoordinatorRegistry;
  readonly #monitor: HealthMonitor;
  readonly #sync: WorkerSync;
  #client: ClientSide | undefined;
  /** The primary's random cookie secret (the latest it sent), for configs without cookie.secrets. */
  #randomSecret: string | undefined;
  /** A generation built by reload-prepare, waiting for its commit. */
  #prepared: Generation | undefined;
  #closing: Promise<void> | undefined;

  /** The replicas, at the primary's state: from here on the sync channel keeps them. */
  constructor(start: StartMessage, logger: Logger, outbox: Outbox<ToPrimary>, id: number) {
    const { config } = start;
    this.#startConfig = config;
    this.#startGeneration = start.generation;
    this.#logger = logger;
    this.#outbox = outbox;
    this.#id = id;
    this.#randomSecret = start.randomSecret;
    const { sessions: sessionConfig } = config;
    this.#sessions = new SessionMap({ idleTtlMs: sessionConfig.idleTtlMs, maxEntries: sessionConfig.maxEntries, isReplica: true });
    this.#registry = new CoordinatorRegistry((name) => this.#sessions.countFor(name), { onConnectionsChange: () => this.#sync.connectionsChanged() });
    this.#monitor = new HealthMonitor(this.#registry, () => (this.#client?.current.config ?? config).health, logger, {
      forwardFailure: (coordinator, code, detail) => outbox.push({ type: 'failure', coordinator, code, detail }),
    });
    this.#sync = new WorkerSync({ registry: this.#registry, monitor: this.#monitor, sessions: this.#sessions }, outbox, sessionConfig.idleTtlMs, () => this.#client?.closeDisabledConnections());
    this.#sync.applyStart(start);
    this.#monitor.onTransition((transition) => {
      if (transition.to === 'down') this.#client?.moveOff(transition.coordinator, transition.reason);
    });
  }

  /** Starts the client listeners (shared with the other workers through the primary). */
  async listen(): Promise<readonly BoundListener[]> {
    const outbox = this.#outbox;
    try {
      this.#client = await ClientSide.start(this.#startConfig, this.#startGeneration, {
        registry: this.#registry,
        sessions: this.#sessions,
        monitor: this.#monitor,
        sessionEvents: {
          opened: (key, coordinator) => outbox.push({ type: 'session-opened', key, coordinator }),
          closed: (key) => outbox.push({ type: 'session-closed', key }),
        },
        secrets: (config) => this.#secretsOf(config),
        logger: this.#logger,
        metricsRole: 'worker',
        accessBindings: { worker: this.#id },
      });
    } catch (error) {
      this.#sync.close();
      this.#sessions.close();
      throw error;
    }
    return this.#client.tcpFrontEnds.map((frontEnd) => ({ name: frontEnd.name, host: frontEnd.host, port: frontEnd.port }));
  }

  /** Messages this worker sent to the primary (cluster_messages_total). */
  countSent(count: number): void {
    this.#client?.metrics.countClusterMessages('to_primary', count);
  }

  /** One message from the primary, in the order sent (`start` and `shutdown` are the process entry's). */
  receive(message: Exclude<ToWorker, { type: 'start' | 'shutdown' }>): void {
    switch (message.type) {
      case 'ask':
        void this.#answer(message.question).then(
          (value) => this.#outbox.push({ type: 'reply', id: message.id, value }),
          (error: unknown) => this.#logger.error({ event: 'worker-error', err: error }, 'could not answer the primary'),
        );
        return;
      case 'reload-commit':
        return this.#commit(message.generation, message.state);
      case 'reload-abort':
        if (this.#prepared?.number === message.generation) this.#discardPrepared();
        return;
      default:
        this.#sync.apply(message);
    }
  }

  #secretsOf(config: Config): readonly string[] {
    if (config.cookie.secrets.length > 0) return config.cookie.secrets;
    if (this.#randomSecret === undefined) throw new Error('cookie.secrets is empty and the primary sent no random secret');
    return [this.#randomSecret];
  }

  async #answer(question: Question): Promise<Answer<Question['kind']>> {
    switch (question.kind) {
      case 'barrier':
        return true;
      case 'status':
        return this.#report(question.nowMs);
      case 'metrics':
        return this.#client === undefined ? [] : this.#client.metrics.registry.getMetricsAsJSON();
      case 'reload-prepare':
        return this.#prepare(question.config, question.generation, question.randomSecret);
    }
  }

  #prepare(config: Config, number: number, randomSecret: string | undefined): { error?: string } {
    if (this.#client === undefined || this.#closing !== undefined) return { error: 'the worker is not serving' };
    if (this.#prepared !== undefined) this.#discardPrepared();
    this.#randomSecret = randomSecret ?? this.#randomSecret;
    try {
      this.#prepared = this.#client.build(config, number);
      return {};
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  #commit(number: number, state: Parameters<WorkerSync['applyState']>[0]): void {
    const generation = this.#prepared;
    if (generation === undefined || generation.number !== number || this.#client === undefined) {
      this.#logger.error({ event: 'worker-error', generation: number }, `reload-commit of generation ${number} without its prepared generation`);
      return;
    }
    this.#prepared = undefined;
    this.#client.swap(generation, () => this.#sync.applyState(state));
  }

  #discardPrepared(): void {
    const generation = this.#prepared;
    this.#prepared = undefined;
    if (generation !== undefined) void closeGeneration(generation, false);
  }

  async #report(nowMs: number): Promise<WorkerReport> {
    const client = this.#client;
    const peerConnections: Record<string, number> = {};
    for (const state of this.#registry.states()) if (state.peerConnections > 0) peerConnections[state.name] = state.peerConnections;
    if (client === undefined) return { generation: this.#startGeneration, learnedSessions: this.#sessions.size, clientConnections: 0, coordinators: {}, tcpListeners: {}, peerConnections };
    const coordinators: Record<string, WorkerReport['coordinators'][string]> = {};
    for (const coordinator of client.current.coordinators.all) {
      const recent = client.metrics.series(coordinator.name).recent;
      coordinators[coordinator.name] = { inFlight: coordinator.inFlight.size, window: recent.window(nowMs), history: recent.history.raw(nowMs) };
    }
    const tcpListeners: Record<string, Record<string, number>> = {};
    let connections = 0;
    for (const frontEnd of client.tcpFrontEnds) {
      tcpListeners[frontEnd.name] = Object.fromEntries(frontEnd.openByCoordinator());
      connections += frontEnd.connections.size;
    }
    for (const count of (await client.clientConnections()).values()) connections += count;
    return { generation: client.current.number, learnedSessions: this.#sessions.size, clientConnections: connections, coordinators, tcpListeners, peerConnections };
  }

  /** Drains (server.shutdownTimeoutMs of the generation serving) and releases everything. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const client = this.#client;
      if (client !== undefined) await client.close(client.current.config.server.shutdownTimeoutMs);
      this.#discardPrepared();
      this.#sync.close();
      this.#sessions.close();
      this.#logger.info({ event: 'closed' }, `worker ${this.#id} closed`);
    })();
    return this.#closing;
  }
}
