// Composition root: builds every long-lived part from a Config, wires them, and owns their
// shutdown. Nothing else creates servers, pools or timers.
//
// Reload (SIGHUP) builds a new *generation* (coordinators, pools, health checker, hs2 proxy, web
// UI) beside the running one and swaps it in with one assignment. A request keeps the generation
// it started with (an Hs2Exchange reads everything through its own Hs2Proxy), so in-flight requests
// finish on the old settings; the old pools close once their requests are done. What outlives a
// generation lives here: listeners, the session map, metrics, operator overrides, cookie secrets.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startAdminListener, operatorActions, type AdminListener, type OperatorAction, type OperatorChange } from './admin/server.ts';
import { answerProbe, probeKind, type Readiness } from './admin/probes.ts';
import { createPolicy } from './balancer/index.ts';
import type { Config, OperatorState } from './config/schema.ts';
import { Hs2Proxy } from './hs2/proxy.ts';
import { SessionMap } from './hs2/session-map.ts';
import type { Logger } from './log.ts';
import { ProxyMetrics } from './metrics/metrics.ts';
import { closeListeners, startListeners, updateListeners, type Listener } from './server.ts';
import { takeStatusSnapshot, type StatusSnapshot } from './status/snapshot.ts';
import { frontTlsOptions, upstreamTlsOptions } from './tls/files.ts';
import type { Coordinator } from './upstream/coordinator.ts';
import { CoordinatorSet } from './upstream/coordinator-set.ts';
import { HealthChecker } from './upstream/health.ts';
import { WebUiProxy } from './webui/index.ts';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Everything built from one config; replaced as a whole on reload. */
interface Generation {
  readonly number: number;
  readonly loadedAtMs: number;
  readonly config: Config;
  readonly coordinators: CoordinatorSet;
  readonly health: HealthChecker;
  readonly hs2: Hs2Proxy;
  readonly webui: WebUiProxy;
}

/** An operator's drain/enable/disable, kept by coordinator name across reloads. */
interface OperatorOverride {
  readonly state: OperatorState;
  /** The config's `state` when the operator acted: a config that changes it wins over the override. */
  readonly configState: OperatorState;
  readonly atMs: number;
}

export interface ReloadSummary {
  readonly generation: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

export interface ProxyInstance {
  /** The current generation's config, coordinators, health checker and hs2 proxy. */
  readonly config: Config;
  readonly coordinators: CoordinatorSet;
  readonly health: HealthChecker;
  readonly hs2: Hs2Proxy;
  readonly listeners: readonly Listener[];
  readonly admin: AdminListener | undefined;
  readonly sessions: SessionMap;
  readonly metrics: ProxyMetrics;
  /** Base URL of the first listener of a kind, e.g. https://127.0.0.1:8443 */
  url(kind?: 'https' | 'http'): string;
  /** http://host:port of the admin listener. */
  adminUrl(): string;
  status(): StatusSnapshot;
  /** Applies a new validated config; on failure logs one line, keeps the old one and rejects. */
  reload(config: Config): Promise<ReloadSummary>;
  /** drain / enable / disable a coordinator by 1-based number or name; `who` goes to the audit log. */
  setOperatorState(key: string, action: OperatorAction, who: string): OperatorChange | undefined;
  close(): Promise<void>;
}

export async function startProxy(config: Config, logger: Logger): Promise<ProxyInstance> {
  const startedAtMs = Date.now();
  // Without configured secrets a random one is made once and kept across reloads, so pins survive.
  let randomSecret: string | undefined;
  const secretsFor = (c: Config) => (c.cookie.secrets.length > 0 ? [...c.cookie.secrets] : [(randomSecret ??= randomCookieSecret(logger))]);
  const overrides = new Map<string, OperatorOverride>();
  /** Old generations whose pools are still finishing their requests. */
  const retiring = new Map<Generation, Promise<void>>();
  let current!: Generation;

  const sessions = new SessionMap({
    idleTtlMs: config.sessions.idleTtlMs,
    maxEntries: config.sessions.maxEntries,
    onCountChange: (name, delta) => {
      const coordinator = current.coordinators.byName(name);
      if (coordinator !== undefined) coordinator.sessions += delta;
    },
  });
  const listenersRef: { list: Listener[] } = { list: [] };
  const metrics = new ProxyMetrics({
    coordinators: () => current.coordinators.all,
    learnedSessions: () => sessions.size,
    clientConnections: () => countConnections(listenersRef.list),
  });

  const readiness = (): Readiness => ({ available: current.coordinators.available().length, total: current.coordinators.all.length });

  // Every coordinator name any generation had: pins to removed ones are recognised as such.
  const knownNames = new Set<string>();
  function buildGeneration(next: Config, number: number): Generation {
    const coordinators = new CoordinatorSet(next, secretsFor(next), logger, knownNames);
    for (const coordinator of next.coordinators) knownNames.add(coordinator.name);
    let health: HealthChecker | undefined;
    try {
      health = new HealthChecker(coordinators.all, {
        config: next.health,
        tls: upstreamTlsOptions(next.upstream.tls),
        logger,
        onChange(coordinator) {
          metrics.countHealthChange(coordinator.name, coordinator.health);
          // A coordinator that went down lost its sessions; its clients re-pin as they come back.
          if (coordinator.health === 'down') sessions.forgetCoordinator(coordinator.name);
        },
      });
      const hs2 = new Hs2Proxy({
        config: next,
        coordinators,
        sessions,
        policy: createPolicy(next.balancer.policy),
        logger,
        onUpstreamFailure: (coordinator, error) => health!.reportFailure(coordinator, error),
        onExchangeEnd: (exchange) => metrics.observeExchange(exchange),
      });
      const webui = new WebUiProxy({ config: next, coordinators, logger });
      return { number, loadedAtMs: Date.now(), config: next, coordinators, health, hs2, webui };
    } catch (error) {
      void health?.close();
      void coordinators.destroy();
      throw error;
    }
  }

  current = buildGeneration(config, 1);

  const router = {
    handle(req: IncomingMessage, res: ServerResponse): void {
      const probe = probeKind(req); // GET/HEAD only: hs2 POSTs pass after one comparison
      if (probe !== undefined) return answerProbe(probe, req, res, readiness);
      const generation = current;
      if (isUiPath(req.url)) return generation.webui.handle(req, res);
      const hs2 = generation.hs2;
      void hs2.handle(req, res).catch((error: unknown) => {
        logger.error({ err: error }, 'unexpected error in the hs2 path');
        if (!res.headersSent) hs2.respondText(res, 500, 'internal proxy error\n');
        else res.destroy();
      });
    },
  };

  function setOperatorState(key: string, action: OperatorAction, who: string): OperatorChange | undefined {
    const coordinator = current.coordinators.byIndexOrName(key);
    if (coordinator === undefined) return undefined;
    const before = coordinator.operatorState;
    const after = operatorActions[action];
    coordinator.operatorState = after;
    overrides.set(coordinator.name, { state: after, configState: coordinator.config.state, atMs: Date.now() });
    logger.info({ event: 'admin', who, action, coordinator: coordinator.name, before, after }, `admin: ${action} ${coordinator.name} (${before} → ${after}) by ${who}`);
    return { coordinator: coordinator.name, before, after };
  }

  const status = () =>
    takeStatusSnapshot({
      version,
      startedAtMs,
      coordinators: () => current.coordinators.all,
      lastProbe: (coordinator: Coordinator) => current.health.lastProbe(coordinator),
      operatorChangedAtMs: (name: string) => overrides.get(name)?.atMs,
      generation: () => current,
      metrics,
    });

  let listeners: Listener[] = [];
  let admin: AdminListener | undefined;
  try {
    listeners = await startListeners(config, router, logger, {
      onConnection: (kind) => metrics.countConnection(kind),
      onTlsHandshake: (kind) => metrics.countHandshake(kind),
      onTlsError: (kind, code) => metrics.countTlsError(kind, code),
    });
    listenersRef.list = listeners;
    if (config.admin) {
      admin = await startAdminListener(config.admin.host, config.admin.port, {
        token: () => current.config.admin?.token,
        metrics,
        readiness,
        status,
        setOperatorState,
      }, logger);
    }
  } catch (error) {
    await closeListeners(listeners, 0);
    await closeGeneration(current, false);
    sessions.close();
    metrics.close();
    throw error;
  }
  current.health.start();

  async function reload(next: Config): Promise<ReloadSummary> {
    const previous = current;
    let generation: Generation;
    let frontTls: ReturnType<typeof frontTlsOptions> | undefined;
    try {
      if (closing !== undefined) throw new Error('the proxy is shutting down');
      checkStaticSettings(previous.config, next, logger);
      // Everything that reads files or can throw happens before anything is swapped.
      frontTls = next.listen.https && next.tls ? frontTlsOptions(next.tls) : undefined;
      generation = buildGeneration(next, previous.number + 1);
    } catch (error) {
      metrics.countReload('rejected');
      logger.error({ event: 'reload-rejected', err: { message: (error as Error).message } }, `config reload rejected, still serving generation ${previous.number}: ${(error as Error).message}`);
      throw error;
    }
    const summary = carryOver(previous, generation, overrides);
    for (const name of summary.removed) sessions.forgetCoordinator(name);
    // Learned sessions are keyed by name: recount them onto the new objects (onCountChange reads `current`).
    for (const coordinator of generation.coordinators.all) coordinator.sessions = sessions.countFor(coordinator.name);
    current = generation;
    updateListeners(listeners, next, frontTls);
    generation.health.start();
    retire(previous);
    metrics.countReload('ok');
    logger.info({ event: 'reload', generation: generation.number, ...summary }, `config reloaded (generation ${generation.number}): ${describe(summary)}`);
    return { generation: generation.number, ...summary };
  }

  /** The old generation stops probing now; its pools close once their in-flight requests end. */
  function retire(old: Generation): void {
    retiring.set(old, closeGeneration(old, true).finally(() => retiring.delete(old)));
  }

  let closing: Promise<void> | undefined;
  return {
    get config() {
      return current.config;
    },
    get coordinators() {
      return current.coordinators;
    },
    get health() {
      return current.health;
    },
    get hs2() {
      return current.hs2;
    },
    listeners,
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
    setOperatorState,
    close() {
      closing ??= (async () => {
        const graceMs = current.config.server.shutdownTimeoutMs;
        const deadline = setTimeout(() => {
          // Past the grace period: whatever still holds a pool is cut.
          logger.warn({ event: 'shutdown-timeout', graceMs }, `in-flight requests did not finish within ${graceMs} ms: closing them`);
          for (const generation of [current, ...retiring.keys()]) void generation.coordinators.destroy();
        }, graceMs);
        await Promise.all([closeListeners(listeners, graceMs), admin ? closeListeners([adminAsListener(admin)], 0) : undefined]);
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

async function closeGeneration(generation: Generation, isGraceful: boolean): Promise<void> {
  await generation.health.close();
  if (isGraceful) {
    // A shutdown deadline may destroy the pools while they close: that is the expected end.
    await generation.coordinators.close().catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'UND_ERR_DESTROYED') throw error;
    });
  } else await generation.coordinators.destroy();
  // After the pools: a web UI page still loading finishes first.
  generation.webui.close();
}

/** New coordinator objects inherit health and operator state from the ones they replace. */
function carryOver(previous: Generation, next: Generation, overrides: Map<string, OperatorOverride>): Omit<ReloadSummary, 'generation'> {
  const added: string[] = [];
  const changed: string[] = [];
  for (const coordinator of next.coordinators.all) {
    const old = previous.coordinators.byName(coordinator.name);
    if (old === undefined) {
      added.push(coordinator.name);
      continue;
    }
    const isSameTarget = old.hs2Origin === coordinator.hs2Origin && old.webuiOrigin === coordinator.webuiOrigin;
    if (!isSameTarget || old.config.weight !== coordinator.config.weight || old.config.state !== coordinator.config.state) changed.push(coordinator.name);
    if (isSameTarget) {
      coordinator.health = old.health;
      coordinator.healthSince = old.healthSince;
      coordinator.healthReason = old.healthReason;
      coordinator.isQuiescing = old.isQuiescing;
    }
  }
  const removed = previous.coordinators.all.filter((c) => next.coordinators.byName(c.name) === undefined).map((c) => c.name);
  applyOverrides(next, overrides);
  return { added, removed, changed };
}

function applyOverrides(generation: Generation, overrides: Map<string, OperatorOverride>): void {
  for (const [name, override] of overrides) {
    const coordinator = generation.coordinators.byName(name);
    // Gone from the config, or the config now says otherwise: the override has done its job.
    if (coordinator === undefined || coordinator.config.state !== override.configState) {
      overrides.delete(name);
      continue;
    }
    coordinator.operatorState = override.state;
  }
}

/** Listen addresses cannot change without a restart; say so rather than silently ignore it. */
function checkStaticSettings(old: Config, next: Config, logger: Logger): void {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const ignored: string[] = [];
  if (!same(old.listen, next.listen)) ignored.push('listen');
  if (!same(old.admin && { host: old.admin.host, port: old.admin.port }, next.admin && { host: next.admin.host, port: next.admin.port })) ignored.push('admin.host/port');
  if (!same(old.sessions, next.sessions)) ignored.push('sessions');
  // Node's tls.Server reads handshakeTimeout once, at construction.
  if (old.server.tlsHandshakeTimeoutMs !== next.server.tlsHandshakeTimeoutMs) ignored.push('server.tlsHandshakeTimeoutMs');
  if (Boolean(old.tls?.clientCaFile) !== Boolean(next.tls?.clientCaFile) || old.tls?.requireClientCert !== next.tls?.requireClientCert) ignored.push('tls client certificate verification');
  if (old.log.access !== next.log.access || old.log.level !== next.log.level) ignored.push('log');
  if (ignored.length > 0) logger.warn({ event: 'reload-needs-restart', keys: ignored }, `config reload: ${ignored.join(', ')} changed; these take effect at the next restart`);
}

function describe(summary: Omit<ReloadSummary, 'generation'>): string {
  const parts = [
    summary.added.length > 0 && `added ${summary.added.join(', ')}`,
    summary.removed.length > 0 && `removed ${summary.removed.join(', ')}`,
    summary.changed.length > 0 && `changed ${summary.changed.join(', ')}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : 'coordinators unchanged';
}

/** `/ui`, `/ui/…`, `/ui?…`: the only paths that go to the web UI proxy. */
function isUiPath(url: string | undefined): boolean {
  if (url === undefined || url.charCodeAt(1) !== 117 /* u */ || !url.startsWith('/ui')) return false;
  const next = url.charCodeAt(3);
  return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
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
