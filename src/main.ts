// Composition root: builds every long-lived part from a Config, wires them, and owns their
// shutdown. Nothing else creates servers, pools or timers. Three lifetimes (DESIGN §2):
//
// - process (here): listeners, the coordinator registry (health, operator state, quiescing, requests
//   in flight of every generation), the health monitor, the session map, metrics, cookie secrets;
// - generation (generation.ts): wiring built from one config, swapped in with one assignment on
//   reload, retired when its requests are done; it copies nothing from the one before;
// - request (hs2/): handler → exchange → one Outcome, which the session map, the metrics and the
//   access log consume.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startAdminListener, operatorActions, type AdminListener, type OperatorAction, type OperatorChange } from './admin/server.ts';
import type { Readiness } from './admin/probes.ts';
import { diffConfigs, type ConfigDiff } from './config/diff.ts';
import type { Config } from './config/schema.ts';
import { RequestDispatcher } from './dispatch.ts';
import { buildGeneration, closeGeneration, type Generation, type ProcessParts } from './generation.ts';
import { AccessLog } from './hs2/access-log.ts';
import type { Outcome } from './hs2/outcome.ts';
import type { TcpOutcome } from './tcp/outcome.ts';
import { SessionMap } from './hs2/session-map.ts';
import { createAccessLogger, type Logger } from './log.ts';
import { ProxyMetrics } from './metrics/metrics.ts';
import { closeListeners, startListeners, updateListeners, type Listener } from './server.ts';
import { TcpFrontEnd } from './tcp/front-end.ts';
import { takeStatusSnapshot, type StatusSnapshot } from './status/snapshot.ts';
import type { CoordinatorSet } from './upstream/coordinator-set.ts';
import { HealthMonitor, type HealthTransition } from './upstream/health-monitor.ts';
import { CoordinatorRegistry } from './upstream/registry.ts';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface ReloadSummary {
  readonly generation: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

export interface StartOptions {
  /** Re-reads the config (the CLI: its --config file) for reloadFromSource() and POST /admin/reload. */
  readonly loadConfig?: () => Config;
}

export interface ProxyInstance {
  /** The current generation's config and coordinators. */
  readonly config: Config;
  readonly coordinators: CoordinatorSet;
  readonly registry: CoordinatorRegistry;
  readonly listeners: readonly Listener[];
  readonly tcpListeners: readonly TcpFrontEnd[];
  readonly admin: AdminListener | undefined;
  readonly sessions: SessionMap;
  readonly metrics: ProxyMetrics;
  /** Base URL of the first listener of a kind, e.g. https://127.0.0.1:8443 */
  url(kind?: 'https' | 'http'): string;
  /** http://host:port of the admin listener. */
  adminUrl(): string;
  status(): StatusSnapshot;
  /** Applies a new validated config whole, or rejects it (one `reload-rejected` line) and keeps the old one. */
  reload(config: Config): Promise<ReloadSummary>;
  /** Re-reads the config through StartOptions.loadConfig and applies it; a config that does not load is rejected like one that does not apply. */
  reloadFromSource(): Promise<ReloadSummary>;
  /** drain / enable / disable a coordinator by 1-based number or name; `who` goes to the audit log. */
  setOperatorState(key: string, action: OperatorAction, who: string): OperatorChange | undefined;
  close(): Promise<void>;
}

export async function startProxy(config: Config, logger: Logger, options: StartOptions = {}): Promise<ProxyInstance> {
  const startedAtMs = Date.now();
  // Without configured secrets a random one is made once and kept across reloads, so pins survive.
  let randomSecret: string | undefined;
  const secrets = (c: Config) => (c.cookie.secrets.length > 0 ? c.cookie.secrets : [(randomSecret ??= randomCookieSecret(logger))]);

  let current!: Generation;
  const sessions = new SessionMap({ idleTtlMs: config.sessions.idleTtlMs, maxEntries: config.sessions.maxEntries });
  const registry = new CoordinatorRegistry((name) => sessions.countFor(name));
  const monitor = new HealthMonitor(registry, () => current.config.health, logger);
  const listenersRef: { list: readonly Listener[] } = { list: [] };
  const tcpFrontEnds: TcpFrontEnd[] = [];
  const metrics = new ProxyMetrics({
    coordinators: () => current.coordinators.all,
    learnedSessions: () => sessions.size,
    clientConnections: () => countConnections(listenersRef.list),
    tcpListeners: () => tcpFrontEnds,
  });
  const accessLog = config.log.access && logger.isLevelEnabled('info') ? new AccessLog(createAccessLogger(logger)) : undefined;

  function finish(outcome: Outcome): void {
    if (outcome.openedSession !== undefined && outcome.servedBy !== undefined) sessions.learn(outcome.openedSession, outcome.servedBy);
    else if (outcome.closedSession !== undefined) sessions.forget(outcome.closedSession);
    metrics.observe(outcome);
    accessLog?.write(outcome);
  }

  monitor.onTransition((transition: HealthTransition) => {
    metrics.countHealthChange(transition.coordinator, transition.to);
    if (transition.to !== 'down') return;
    // A coordinator that went down lost its sessions; its clients re-pin as they come back.
    sessions.forgetCoordinator(transition.coordinator);
    const state = registry.get(transition.coordinator);
    if (state === undefined || (state.inFlight.size === 0 && state.connections.size === 0)) return;
    // Its requests in flight, of whatever generation, move to peers (DESIGN §5); its TCP
    // connections are closed so that their clients reconnect elsewhere. Not inside the callback
    // that reported the failure: each failover starts a new dispatch.
    queueMicrotask(() => {
      for (const request of [...state.inFlight]) request.failover(transition.reason);
      for (const connection of [...state.connections]) connection.shutDown('coordinator-down');
    });
  });

  const parts: ProcessParts = { registry, sessions, monitor, current: () => current, finish, secrets, logger };
  current = buildGeneration(config, 1, parts);
  /** Old generations whose pools are still finishing their requests. */
  const retiring = new Map<Generation, Promise<void>>();
  const readiness = (): Readiness => ({ available: current.coordinators.available().length, total: current.coordinators.all.length });

  function setOperatorState(key: string, action: OperatorAction, who: string): OperatorChange | undefined {
    const coordinator = current.coordinators.byIndexOrName(key);
    if (coordinator === undefined) return undefined;
    const before = coordinator.operatorState;
    const after = operatorActions[action];
    registry.setOperatorOverride(coordinator.name, { state: after, configState: coordinator.config.state, atMs: Date.now() });
    logger.info({ event: 'admin', who, action, coordinator: coordinator.name, before, after }, `admin: ${action} ${coordinator.name} (${before} → ${after}) by ${who}`);
    if (after === 'disabled') closeConnectionsOf(current.coordinators);
    return { coordinator: coordinator.name, before, after };
  }

  /** Disabled = no traffic: the TCP connections of every disabled coordinator are closed (draining keeps them). */
  function closeConnectionsOf(coordinators: CoordinatorSet): void {
    for (const coordinator of coordinators.all) {
      if (coordinator.operatorState !== 'disabled') continue;
      for (const connection of [...coordinator.state.connections]) connection.shutDown('disabled');
    }
  }

  const tcpObserver = {
    connected: (listener: string, coordinator: string) => metrics.tcpConnected(listener, coordinator),
    finished: (outcome: TcpOutcome) => {
      metrics.observeTcp(outcome);
      accessLog?.writeTcp(outcome);
    },
    tlsError: (listener: string, code: string | undefined) => metrics.countTlsError(listener, code),
  };

  const status = () =>
    takeStatusSnapshot({
      version,
      startedAtMs,
      coordinators: () => current.coordinators.all,
      generation: () => current,
      metrics,
      tcpListeners: () => tcpFrontEnds,
    });

  let listeners: Listener[] = [];
  let admin: AdminListener | undefined;
  try {
    listeners = await startListeners(config, new RequestDispatcher(() => current, readiness, logger), logger, {
      onConnection: (kind) => metrics.countConnection(kind),
      onTlsHandshake: (kind) => metrics.countHandshake(kind),
      onTlsError: (kind, code) => metrics.countTlsError(kind, code),
    });
    listenersRef.list = listeners;
    for (const [i, listener] of config.tcp.entries()) {
      tcpFrontEnds.push(
        await TcpFrontEnd.start({ config: listener, current: () => current, monitor, observer: tcpObserver, logger, tls: current.frontTls, tlsHandshakeTimeoutMs: config.server.tlsHandshakeTimeoutMs }, `tcp[${i}]`),
      );
    }
    if (config.admin) {
      admin = await startAdminListener(config.admin.host, config.admin.port, {
        token: () => current.config.admin?.token,
        metrics,
        readiness,
        status,
        setOperatorState,
        ...(options.loadConfig !== undefined && { reload: reloadFromSource }),
      }, logger);
    }
  } catch (error) {
    await Promise.all([closeListeners(listeners, 0), ...tcpFrontEnds.map((frontEnd) => frontEnd.close(0))]);
    await closeGeneration(current, false);
    sessions.close();
    metrics.close();
    throw error;
  }
  current.prober.start();

  let closing: Promise<void> | undefined;

  async function reload(next: Config): Promise<ReloadSummary> {
    const previous = current;
    let generation: Generation;
    let diff: ConfigDiff;
    try {
      if (closing !== undefined) throw new Error('the proxy is shutting down');
      diff = diffConfigs(previous.config, next);
      generation = buildGeneration(next, previous.number + 1, parts);
    } catch (error) {
      metrics.countReload('rejected');
      logger.error({ event: 'reload-rejected', err: { message: (error as Error).message } }, `config reload rejected, still serving generation ${previous.number}: ${(error as Error).message}`);
      throw error;
    }
    if (diff.needsRestart.length > 0) {
      logger.warn({ event: 'reload-needs-restart', keys: diff.needsRestart }, `config reload: ${diff.needsRestart.join(', ')} changed; these take effect at the next restart`);
    }
    // The swap. The old prober stops first, so that nothing it still learns about an old address
    // lands on a coordinator the new config moved elsewhere.
    retire(previous);
    for (const name of diff.retargeted) monitor.reset(name);
    registry.reconcileOverrides(next.coordinators);
    current = generation;
    updateListeners(listeners, next, generation.frontTls);
    for (const frontEnd of tcpFrontEnds) frontEnd.setSecureContext(generation.frontTls);
    closeConnectionsOf(generation.coordinators);
    for (const name of diff.removed) sessions.forgetCoordinator(name);
    registry.retain(new Set(next.coordinators.map((c) => c.name)));
    generation.prober.start();
    metrics.countReload('ok');
    const summary = { generation: generation.number, added: diff.added, removed: diff.removed, changed: diff.changed };
    logger.info({ event: 'reload', ...summary }, `config reloaded (generation ${generation.number}): ${describe(diff)}`);
    return summary;
  }

  async function reloadFromSource(): Promise<ReloadSummary> {
    if (options.loadConfig === undefined) throw new Error('no config source to reload from (StartOptions.loadConfig)');
    let next: Config;
    try {
      next = options.loadConfig();
    } catch (error) {
      metrics.countReload('rejected');
      const problems = (error as { problems?: readonly string[] }).problems;
      logger.error({ event: 'reload-rejected', problems }, `config reload rejected, still serving generation ${current.number}: ${(error as Error).message.replace(/\n\s*/g, '; ')}`);
      throw error;
    }
    return reload(next);
  }

  /** The old generation stops probing now; its pools close once their in-flight requests end. */
  function retire(old: Generation): void {
    retiring.set(old, closeGeneration(old, true).finally(() => retiring.delete(old)));
  }

  return {
    get config() {
      return current.config;
    },
    get coordinators() {
      return current.coordinators;
    },
    registry,
    listeners,
    tcpListeners: tcpFrontEnds,
    admin,
    sessions,
    metrics,
    url(kind) {
      const listener = listeners.find((l) => kind === undefined || l.kind === kind);
      if (listener === undefined) throw new Error(`no ${kind} listener`);
      return `${listener.kind}://${hostForUrl(listener.host)}:${listener.port}`;
    },
    adminUrl() {
      if (admin === undefined) throw new Error('the admin listener is disabled (admin: null)');
      return `http://${hostForUrl(admin.host)}:${admin.port}`;
    },
    status,
    reload,
    reloadFromSource,
    setOperatorState,
    close() {
      closing ??= (async () => {
        const graceMs = current.config.server.shutdownTimeoutMs;
        const deadline = setTimeout(() => {
          // Past the grace period: whatever still holds a pool is cut.
          logger.warn({ event: 'shutdown-timeout', graceMs }, `in-flight requests did not finish within ${graceMs} ms: closing them`);
          for (const generation of [current, ...retiring.keys()]) void generation.coordinators.destroy();
        }, graceMs);
        await Promise.all([
          closeListeners(listeners, graceMs),
          ...tcpFrontEnds.map((frontEnd) => frontEnd.close(graceMs)),
          admin ? closeListeners([adminAsListener(admin)], 0) : undefined,
        ]);
        await closeGeneration(current, true);
        await Promise.all(retiring.values());
        clearTimeout(deadline);
        sessions.close();
        metrics.close();
        logger.info({ event: 'closed' }, 'proxy closed');
      })();
      return closing;
    },
  };
}

function describe(diff: ConfigDiff): string {
  const parts = [
    diff.added.length > 0 && `added ${diff.added.join(', ')}`,
    diff.removed.length > 0 && `removed ${diff.removed.join(', ')}`,
    diff.changed.length > 0 && `changed ${diff.changed.join(', ')}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : 'coordinators unchanged';
}

function countConnections(listeners: readonly Listener[]): Promise<ReadonlyMap<string, number>> {
  return Promise.all(
    listeners.map(
      (listener) => new Promise<[string, number]>((resolve) => listener.server.getConnections((error, count) => resolve([listener.kind, error ? 0 : count]))),
    ),
  ).then((entries) => new Map(entries));
}

function adminAsListener(admin: AdminListener): Listener {
  return { kind: 'http', server: admin.server, host: admin.host, port: admin.port, active: new Set(), isClosing: false };
}

function hostForUrl(host: string): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return h.includes(':') ? `[${h}]` : h;
}

function randomCookieSecret(logger: Logger): string {
  logger.warn(
    { event: 'random-cookie-secret' },
    'cookie.secrets is not set: using a random secret. Pins will NOT survive a restart and will NOT be shared between replicas; set cookie.secrets (from a file or an environment variable) in production.',
  );
  return randomBytes(32).toString('base64url');
}
