// Composition root of one proxy process (server.workers: 1; with more, src/cluster/primary.ts and
// worker.ts compose the same parts across processes): builds every long-lived part from a Config,
// wires them, and owns their shutdown. Nothing else creates servers, pools or timers. Three
// lifetimes (DESIGN §2):
//
// - process (here): the client side (client-side.ts: listeners, metrics, access log), the
//   coordinator registry (health, operator state, quiescing, requests in flight of every
//   generation), the health monitor, the session map, the admin listener, cookie secrets;
// - generation (generation.ts): wiring built from one config, swapped in with one assignment on
//   reload, retired when its requests are done; it copies nothing from the one before;
// - request (hs2/): handler → exchange → one Outcome, which the session map, the metrics and the
//   access log consume.
import { readFileSync } from 'node:fs';
import { applyOperatorAction } from './admin/operator.ts';
import { closeAdminListener, startAdminListener, type AdminListener, type OperatorAction, type OperatorChange } from './admin/server.ts';
import { ClientSide } from './client-side.ts';
import { diffConfigs, type ConfigDiff } from './config/diff.ts';
import type { Config } from './config/schema.ts';
import { CookieSecrets } from './cookie-secrets.ts';
import type { Generation } from './generation.ts';
import { SessionMap } from './hs2/session-map.ts';
import type { Logger } from './log.ts';
import type { ProxyMetrics } from './metrics/metrics.ts';
import { logNeedsRestart, logReloaded, rejectReload, reloadFrom, type ReloadSummary } from './reload-report.ts';
import type { Listener } from './server.ts';
import { localTraffic, takeStatusSnapshot, type StatusSnapshot } from './status/snapshot.ts';
import type { TcpFrontEnd } from './tcp/front-end.ts';
import type { CoordinatorSet } from './upstream/coordinator-set.ts';
import { HealthMonitor, reconcileRegistry, type HealthTransition } from './upstream/health-monitor.ts';
import { CoordinatorRegistry } from './upstream/registry.ts';
import { hostForUrl } from './url-host.ts';

export type { ReloadSummary };

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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
  const secrets = new CookieSecrets(logger).of;

  const sessions = new SessionMap({ idleTtlMs: config.sessions.idleTtlMs, maxEntries: config.sessions.maxEntries });
  const registry = new CoordinatorRegistry((name) => sessions.countFor(name));
  let client: ClientSide;
  const monitor = new HealthMonitor(registry, () => client.current.config.health, logger);
  try {
    client = await ClientSide.start(config, 1, {
      registry,
      sessions,
      monitor,
      sessionEvents: { opened: (key, coordinator) => sessions.learn(key, coordinator), closed: (key) => sessions.forget(key) },
      secrets,
      logger,
      metricsRole: 'single',
    });
  } catch (error) {
    sessions.close();
    throw error;
  }
  const { metrics } = client;

  monitor.onTransition((transition: HealthTransition) => {
    metrics.countHealthChange(transition.coordinator, transition.to);
    if (transition.to !== 'down') return;
    // A coordinator that went down lost its sessions; its clients re-pin as they come back.
    sessions.forgetCoordinator(transition.coordinator);
    client.moveOff(transition.coordinator, transition.reason);
  });

  function setOperatorState(key: string, action: OperatorAction, who: string): OperatorChange | undefined {
    const change = applyOperatorAction(client.current.coordinators, registry, key, action, who, logger);
    if (change?.after === 'disabled') client.closeDisabledConnections();
    return change;
  }

  const status = () =>
    takeStatusSnapshot({
      version,
      startedAtMs,
      coordinators: () => client.current.coordinators.all,
      generation: () => client.current,
      traffic: localTraffic(metrics),
      tcpListeners: () => client.tcpFrontEnds,
    });

  let admin: AdminListener | undefined;
  try {
    if (config.admin) {
      admin = await startAdminListener(config.admin.host, config.admin.port, {
        token: () => client.current.config.admin?.token,
        metrics,
        readiness: () => client.readiness(),
        status,
        setOperatorState,
        ...(options.loadConfig !== undefined && { reload: reloadFromSource }),
      }, logger);
    }
  } catch (error) {
    await client.close(0);
    sessions.close();
    throw error;
  }
  client.current.prober.start();

  let closing: Promise<void> | undefined;

  async function reload(next: Config): Promise<ReloadSummary> {
    const previous = client.current;
    let generation: Generation;
    let diff: ConfigDiff;
    try {
      if (closing !== undefined) throw new Error('the proxy is shutting down');
      diff = diffConfigs(previous.config, next);
      generation = client.build(next, previous.number + 1);
    } catch (error) {
      rejectReload(metrics, logger, previous.number, error);
      throw error;
    }
    logNeedsRestart(logger, diff);
    // The swap. The old prober stops first, so that nothing it still learns about an old address
    // lands on a coordinator the new config moved elsewhere.
    client.swap(generation, () => reconcileRegistry(monitor, registry, diff.retargeted, next.coordinators));
    for (const name of diff.removed) sessions.forgetCoordinator(name);
    generation.prober.start();
    metrics.countReload('ok');
    return logReloaded(logger, generation.number, diff);
  }

  function reloadFromSource(): Promise<ReloadSummary> {
    return reloadFrom(options.loadConfig, reload, (error) => rejectReload(metrics, logger, client.current.number, error));
  }

  return {
    get config() {
      return client.current.config;
    },
    get coordinators() {
      return client.current.coordinators;
    },
    registry,
    listeners: client.listeners,
    tcpListeners: client.tcpFrontEnds,
    admin,
    sessions,
    metrics,
    url(kind) {
      const listener = client.listeners.find((l) => kind === undefined || l.kind === kind);
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
        await Promise.all([client.close(client.current.config.server.shutdownTimeoutMs), admin ? closeAdminListener(admin) : undefined]);
        sessions.close();
        logger.info({ event: 'closed' }, 'proxy closed');
      })();
      return closing;
    },
  };
}
