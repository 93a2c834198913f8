// Composition root of the primary process (server.workers > 1). It serves no client: it owns the
// process-lifetime state (DESIGN §2, §11) and shares every change of it with every worker at once:
//
// - health: the Prober of the current generation and the one deciding HealthMonitor; workers'
//   passive evidence comes in as `failure` messages, transitions go out as `health`;
// - quiescing and operator overrides (the admin API), out as `quiescing` and `override`;
// - the learned-session map, the owner: workers report sessions opened and closed (in either
//   order: session-reports.ts), the map's changes (and purges when a coordinator goes down or is
//   removed) go out to every replica;
// - TCP connection counts for least-connections (peer-counts.ts);
// - the admin listener: /metrics adds up every process (prom-client's aggregator) and keeps the
//   counters of workers that are gone (retired-counters.ts), /status asks every worker for its
//   traffic and merges it (cluster-views.ts); POST /admin/reload and SIGHUP reload every worker,
//   all or none; SIGTERM drains every worker, then the primary exits.
//
// Its own generation is built like a worker's — the same validation of every file — but only its
// prober and coordinator list are used; its pools never open a connection.
import { readFileSync } from 'node:fs';
import { applyOperatorAction } from '../admin/operator.ts';
import { closeAdminListener, startAdminListener, type AdminListener, type OperatorAction, type OperatorChange } from '../admin/server.ts';
import { readinessOf } from '../admin/probes.ts';
import { diffConfigs, type ConfigDiff } from '../config/diff.ts';
import type { Config } from '../config/schema.ts';
import { CookieSecrets } from '../cookie-secrets.ts';
import { buildGeneration, closeGeneration, type Generation } from '../generation.ts';
import { SessionMap } from '../hs2/session-map.ts';
import type { Logger } from '../log.ts';
import { ProxyMetrics } from '../metrics/metrics.ts';
import { logNeedsRestart, logReloaded, rejectReload, reloadFrom, type ReloadSummary } from '../reload-report.ts';
import { HealthMonitor, reconcileRegistry } from '../upstream/health-monitor.ts';
import { CoordinatorRegistry } from '../upstream/registry.ts';
import { peerCounts, sameCounts } from './peer-counts.ts';
import { aggregatedMetrics, clusterStatus } from './cluster-views.ts';
import type { ConnectionCounts, Question, SharedState, StartMessage, ToPrimary } from './protocol.ts';
import { RetiredCounters } from './retired-counters.ts';
import { SessionReports } from './session-reports.ts';
import { Supervisor, type WorkerHandle } from './supervisor.ts';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** How long the primary waits for workers' answers: a /status or /metrics scrape, an operator action. */
const answerDeadlineMs = 2_000;
/** How long every worker gets to build a reloaded generation. */
const prepareDeadlineMs = 15_000;

export interface PrimaryOptions {
  readonly workers: number;
  /** The effective log level (the CLI's --log-level wins over log.level): workers log at it too. */
  readonly logLevel: Config['log']['level'];
  readonly loadConfig?: () => Config;
}

export interface PrimaryInstance {
  reloadFromSource(): Promise<ReloadSummary>;
  close(): Promise<void>;
}

export async function startPrimary(config: Config, logger: Logger, options: PrimaryOptions): Promise<PrimaryInstance> {
  const startedAtMs = Date.now();
  const secrets = new CookieSecrets(logger);
  // Made now, when cookie.secrets is empty: every worker must sign with the same one.
  secrets.of(config);

  let current: Generation;
  /** What /metrics keeps of workers that are gone (their counters, as they last answered a scrape). */
  const workerCounters = new RetiredCounters();
  const supervisor: Supervisor = new Supervisor({
    count: options.workers,
    logger,
    startMessage: startMessageFor,
    onMessage: receive,
    onServing: catchUp,
    onGone: (handle) => {
      workerCounters.retire(handle.id);
      peersSent.delete(handle.id);
      if (connectionTables.delete(handle.id)) shareConnectionCounts();
    },
    onSent: (count) => metrics.countClusterMessages('to_workers', count),
  });
  const sessions = new SessionMap({
    idleTtlMs: config.sessions.idleTtlMs,
    maxEntries: config.sessions.maxEntries,
    replication: {
      learned: (key, coordinator) => supervisor.broadcast({ type: 'session-learned', key, coordinator }),
      forgotten: (key) => supervisor.broadcast({ type: 'session-forgotten', key }),
    },
  });
  /** Workers' reports, which may come closed-before-opened (session-reports.ts). */
  const sessionReports = new SessionReports(sessions);
  const registry = new CoordinatorRegistry((name) => sessions.countFor(name));
  const monitor = new HealthMonitor(registry, () => current.config.health, logger);
  const metrics = new ProxyMetrics(
    { coordinators: () => current.coordinators.all, learnedSessions: () => sessions.size, clientConnections: async () => new Map(), tcpListeners: () => [] },
    'primary',
  );
  const parts = { registry, sessions, monitor, current: () => current, finish: () => undefined, secrets: secrets.of, logger };
  current = buildGeneration(config, 1, parts);

  monitor.onTransition((transition) => {
    metrics.countHealthChange(transition.coordinator, transition.to);
    const state = registry.get(transition.coordinator);
    if (state !== undefined) supervisor.broadcast({ type: 'health', coordinator: transition.coordinator, machine: state.health, change: { from: transition.from, to: transition.to, reason: transition.reason } });
    // A coordinator that went down lost its sessions; workers move its requests off on `health`.
    if (transition.to === 'down') purgeSessions(transition.coordinator);
  });
  monitor.onQuiescingChange((coordinator, isQuiescing) => supervisor.broadcast({ type: 'quiescing', coordinator, isQuiescing }));

  function purgeSessions(coordinator: string): void {
    sessions.forgetCoordinator(coordinator);
    supervisor.broadcast({ type: 'sessions-purged', coordinator });
  }

  function sharedState(): SharedState {
    const coordinators = [...registry.states()].map((state) => ({ name: state.name, health: state.health, isQuiescing: state.isQuiescing, override: state.operatorOverride }));
    return { coordinators, everConfigured: [...registry.everConfigured] };
  }

  function startMessageFor(handle: WorkerHandle): StartMessage {
    return {
      type: 'start',
      config: current.config,
      generation: current.number,
      randomSecret: secrets.random,
      logLevel: options.logLevel,
      state: sharedState(),
      sessions: sessions.entries(),
      peerConnections: peersOf(handle.id),
    };
  }

  // ---- what workers report ------------------------------------------------------------------

  /** Each worker's latest TCP connection counts, and what each was last told of the others'. */
  const connectionTables = new Map<number, ConnectionCounts>();
  const peersSent = new Map<number, ConnectionCounts>();

  function peersOf(id: number): ConnectionCounts {
    const peers = peerCounts(connectionTables, id);
    peersSent.set(id, peers);
    return peers;
  }

  function shareConnectionCounts(): void {
    for (const handle of supervisor.handles) {
      if (handle.phase === 'forked') continue;
      const peers = peerCounts(connectionTables, handle.id);
      if (sameCounts(peers, peersSent.get(handle.id) ?? {})) continue;
      peersSent.set(handle.id, peers);
      handle.send({ type: 'peer-connections', counts: peers });
    }
  }

  function receive(handle: WorkerHandle, message: ToPrimary): void {
    switch (message.type) {
      case 'failure':
        monitor.observeForwardedFailure(message.coordinator, message.code, message.detail);
        return;
      case 'session-opened':
        sessionReports.opened(message.key, message.coordinator, Date.now());
        return;
      case 'session-closed':
        sessionReports.closed(message.key, Date.now());
        return;
      case 'sessions-touched':
        sessions.touch(message.keys, Date.now());
        return;
      case 'connections':
        connectionTables.set(handle.id, message.counts);
        shareConnectionCounts();
        return;
      default:
        logger.warn({ event: 'worker-message', worker: handle.id, type: message.type }, `unexpected message from worker ${handle.id}: ${message.type}`);
    }
  }

  // ---- admin --------------------------------------------------------------------------------

  const readiness = () => readinessOf(current.coordinators);

  async function setOperatorState(key: string, action: OperatorAction, who: string): Promise<OperatorChange | undefined> {
    const change = applyOperatorAction(current.coordinators, registry, key, action, who, logger);
    if (change === undefined) return undefined;
    supervisor.broadcast({ type: 'override', coordinator: change.coordinator, override: registry.get(change.coordinator)?.operatorOverride });
    // The answer means what it says: every worker routes by the new state (or is named as late).
    await confirmApplied(`admin ${action} ${change.coordinator}`);
    return change;
  }

  async function confirmApplied(what: string): Promise<void> {
    const late = await supervisor.barrier(supervisor.serving(), answerDeadlineMs);
    for (const handle of late) logger.warn({ event: 'worker-late', worker: handle.id, pid: handle.pid, what }, `worker ${handle.id} (pid ${handle.pid}) did not confirm ${what} within ${answerDeadlineMs} ms`);
  }

  const status = () => clusterStatus(supervisor, { version, startedAtMs, generation: () => current }, answerDeadlineMs);
  const clusterMetrics = aggregatedMetrics(metrics, supervisor, workerCounters, answerDeadlineMs);

  // ---- reload -------------------------------------------------------------------------------

  let closing: Promise<void> | undefined;
  /**
   * Reloads, and catching up a worker that missed one, run one at a time: SIGHUP and POST
   * /admin/reload may overlap, and a worker keeps only the last generation it was asked to prepare.
   */
  let reloading: Promise<unknown> = Promise.resolve();

  function oneAtATime<T>(task: () => Promise<T>): Promise<T> {
    const run = reloading.then(task);
    reloading = run.catch(() => undefined);
    return run;
  }

  function reload(next: Config): Promise<ReloadSummary> {
    return oneAtATime(() => applyReload(next));
  }

  function prepareQuestion(config: Config, number: number): Extract<Question, { kind: 'reload-prepare' }> {
    return { kind: 'reload-prepare', config, generation: number, randomSecret: secrets.random };
  }

  /**
   * All or nothing: the primary validates the config and builds its generation; every serving worker
   * builds its own (`reload-prepare`); only when all did does each swap (`reload-commit`). A worker
   * that fails or does not answer is named in the rejection and everyone keeps the running config.
   */
  async function applyReload(next: Config): Promise<ReloadSummary> {
    const previous = current;
    let generation: Generation | undefined;
    let diff: ConfigDiff;
    const number = previous.number + 1;
    const prepared = supervisor.serving();
    try {
      if (closing !== undefined) throw new Error('the proxy is shutting down');
      diff = diffConfigs(previous.config, next);
      generation = buildGeneration(next, number, parts);
      const answers = await supervisor.ask(prepared, prepareQuestion(next, number), prepareDeadlineMs);
      const failed = prepared.flatMap((handle, i) => {
        const answer = answers[i];
        if (answer === undefined) return handle.worker.isConnected() ? [`worker ${handle.id} (pid ${handle.pid}) did not answer within ${prepareDeadlineMs} ms`] : [];
        return answer.error === undefined ? [] : [`worker ${handle.id} (pid ${handle.pid}): ${answer.error}`];
      });
      if (failed.length > 0) throw new Error(`not every worker could apply it: ${failed.join('; ')}`);
      if (closing !== undefined) throw new Error('the proxy is shutting down');
    } catch (error) {
      for (const handle of prepared) handle.send({ type: 'reload-abort', generation: number });
      if (generation !== undefined) void closeGeneration(generation, false);
      rejectReload(metrics, logger, previous.number, error);
      throw error;
    }
    logNeedsRestart(logger, diff);
    // The swap, here first: the old prober stops before anything is reset, so nothing it still
    // learns about an old address lands on a coordinator the new config moved elsewhere.
    void closeGeneration(previous, true);
    reconcileRegistry(monitor, registry, diff.retargeted, next.coordinators);
    current = generation;
    for (const name of diff.removed) purgeSessions(name);
    registry.retain(new Set(next.coordinators.map((c) => c.name)));
    const state = sharedState();
    for (const handle of prepared) handle.commit(number, state);
    generation.prober.start();
    await confirmApplied(`generation ${number}`);
    metrics.countReload('ok');
    return logReloaded(logger, number, diff);
  }

  /** A worker that started while a reload was being applied serves an older generation: bring it up to date. */
  function catchUp(handle: WorkerHandle): void {
    void oneAtATime(async () => {
      const target = current;
      if (handle.generation >= target.number || handle.phase !== 'serving') return;
      const [answer] = await supervisor.ask([handle], prepareQuestion(target.config, target.number), prepareDeadlineMs);
      if (answer !== undefined && answer.error === undefined) {
        handle.commit(target.number, sharedState());
        return;
      }
      // It cannot run what every other worker runs: a replacement starts from the current config.
      logger.error({ event: 'worker-reload-failed', worker: handle.id, pid: handle.pid, detail: answer?.error }, `worker ${handle.id} (pid ${handle.pid}) could not apply generation ${target.number}: ${answer?.error ?? 'no answer'}; replacing it`);
      // Its counters up to now, not up to the last scrape, stay in /metrics (retired-counters.ts).
      const [snapshot] = await supervisor.ask([handle], { kind: 'metrics' }, answerDeadlineMs);
      if (snapshot !== undefined && supervisor.handles.includes(handle)) workerCounters.remember(handle.id, snapshot);
      handle.worker.process.kill('SIGKILL');
    });
  }

  function reloadFromSource(): Promise<ReloadSummary> {
    return reloadFrom(options.loadConfig, reload, (error) => rejectReload(metrics, logger, current.number, error));
  }

  // ---- start --------------------------------------------------------------------------------

  let admin: AdminListener | undefined;
  try {
    await supervisor.start();
    if (config.admin) {
      admin = await startAdminListener(
        config.admin.host,
        config.admin.port,
        {
          token: () => current.config.admin?.token,
          metrics: clusterMetrics,
          readiness,
          status,
          setOperatorState,
          ...(options.loadConfig !== undefined && { reload: reloadFromSource }),
        },
        logger,
      );
    }
  } catch (error) {
    await supervisor.shutdown(current.config.server.shutdownTimeoutMs + 5_000);
    await closeGeneration(current, false);
    sessions.close();
    metrics.close();
    throw error;
  }
  current.prober.start();
  logger.info({ event: 'workers-ready', workers: options.workers, pids: supervisor.handles.map((handle) => handle.pid) }, `${options.workers} workers serve the client listeners`);

  return {
    reloadFromSource,
    close() {
      closing ??= (async () => {
        // Each worker drains within its server.shutdownTimeoutMs; past that and a margin, it is killed.
        await supervisor.shutdown(current.config.server.shutdownTimeoutMs + 5_000);
        await Promise.all([admin ? closeAdminListener(admin) : undefined, closeGeneration(current, true)]);
        sessions.close();
        metrics.close();
        logger.info({ event: 'closed' }, 'proxy closed');
      })();
      return closing;
    },
  };
}
