// Active and passive health for coordinators (DESIGN §5). A small state machine per coordinator
// with HAProxy's rise/fall hysteresis: one failed probe never flaps a coordinator, a refused
// connect is proof enough at once. Operator state (drain/disable) is a separate flag.
import { Client } from 'undici';
import type { Config } from '../config/schema.ts';
import type { ProxyError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Coordinator } from './coordinator.ts';
import type { UpstreamTlsOptions } from '../tls/files.ts';
import { isIP } from 'node:net';

export interface ProbeResult {
  readonly isUp: boolean;
  readonly detail: string;
  readonly atMs: number;
  readonly durationMs: number;
}

interface Tracker {
  readonly coordinator: Coordinator;
  readonly client: Client;
  timer: NodeJS.Timeout | undefined;
  successes: number;
  failures: number;
  /** Passive failures (resets, timeouts) inside the window. */
  recentFailuresMs: number[];
  lastProbe: ProbeResult | undefined;
}

export interface HealthCheckerOptions {
  readonly config: Config['health'];
  readonly tls: UpstreamTlsOptions | undefined;
  readonly logger: Logger;
  /** Called after a coordinator's health changed. */
  readonly onChange?: (coordinator: Coordinator) => void;
}

export class HealthChecker {
  readonly #options: HealthCheckerOptions;
  readonly #trackers = new Map<Coordinator, Tracker>();
  readonly #authorization: string | undefined;
  #isClosed = false;

  constructor(coordinators: readonly Coordinator[], options: HealthCheckerOptions) {
    this.#options = options;
    const auth = options.config.basicAuth;
    this.#authorization = auth ? `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` : undefined;
    for (const coordinator of coordinators) {
      const isTls = coordinator.webuiOrigin.startsWith('https:');
      const client = new Client(coordinator.webuiOrigin, {
        connectTimeout: options.config.timeoutMs,
        headersTimeout: options.config.timeoutMs,
        bodyTimeout: options.config.timeoutMs,
        keepAliveTimeout: options.config.intervalMs * 2,
        ...(isTls && {
          connect: {
            ...options.tls,
            ...(options.tls?.servername === undefined && isIP(coordinator.config.host) === 0 && { servername: coordinator.config.host }),
          },
        }),
      });
      this.#trackers.set(coordinator, { coordinator, client, timer: undefined, successes: 0, failures: 0, recentFailuresMs: [], lastProbe: undefined });
    }
  }

  start(): void {
    for (const tracker of this.#trackers.values()) this.#schedule(tracker, 0);
  }

  lastProbe(coordinator: Coordinator): ProbeResult | undefined {
    return this.#trackers.get(coordinator)?.lastProbe;
  }

  /** Passive check, fed by the hs2 path with every upstream failure. */
  reportFailure(coordinator: Coordinator, error: ProxyError): void {
    const tracker = this.#trackers.get(coordinator);
    if (tracker === undefined) return;
    if (error.code === 'UPSTREAM_CONNECT_REFUSED') {
      // Nothing listens: the coordinator is gone, no need to wait for `fall` probes.
      tracker.successes = 0;
      this.#setHealth(tracker, 'down', `passive: ${error.message}`);
      return;
    }
    if (error.source !== 'upstream') return;
    const now = Date.now();
    const windowStart = now - this.#options.config.failureWindowMs;
    tracker.recentFailuresMs = tracker.recentFailuresMs.filter((at) => at >= windowStart);
    tracker.recentFailuresMs.push(now);
    if (tracker.recentFailuresMs.length >= this.#options.config.failureThreshold) {
      tracker.successes = 0;
      this.#setHealth(tracker, 'down', `passive: ${tracker.recentFailuresMs.length} failures within ${this.#options.config.failureWindowMs} ms, last ${error.code}`);
    }
  }

  #schedule(tracker: Tracker, delayMs: number): void {
    if (this.#isClosed) return;
    tracker.timer = setTimeout(() => void this.#probe(tracker), delayMs);
    tracker.timer.unref();
  }

  async #probe(tracker: Tracker): Promise<void> {
    const { config } = this.#options;
    const started = performance.now();
    const result = await this.#check(tracker);
    if (this.#isClosed) return;
    tracker.lastProbe = { ...result, atMs: Date.now(), durationMs: Math.round(performance.now() - started) };
    if (result.isUp) {
      tracker.failures = 0;
      tracker.successes += 1;
      if (tracker.coordinator.health === 'down' && tracker.successes >= config.rise) {
        tracker.recentFailuresMs = [];
        this.#setHealth(tracker, 'up', `${tracker.successes} good probes: ${result.detail}`);
      }
    } else {
      tracker.successes = 0;
      tracker.failures += 1;
      if (tracker.coordinator.health === 'up' && tracker.failures >= config.fall) {
        this.#setHealth(tracker, 'down', `${tracker.failures} failed probes: ${result.detail}`);
      }
    }
    // Fixed rate, like HAProxy's `inter`: the next probe starts one interval after this one
    // started, not after it timed out. Waiting `interval` after a failed probe's timeout made a
    // frozen coordinator cost fall × (interval + timeout) + interval, 9.9 s measured with the
    // defaults, instead of fall × interval + timeout (test/integration/failover-freeze.test.ts).
    this.#schedule(tracker, Math.max(0, config.intervalMs - (performance.now() - started)));
  }

  async #check(tracker: Tracker): Promise<{ isUp: boolean; detail: string }> {
    const { config } = this.#options;
    const headers: Record<string, string> = this.#authorization ? { authorization: this.#authorization } : {};
    try {
      const response = await tracker.client.request({ path: config.path, method: 'GET', headers, signal: AbortSignal.timeout(config.timeoutMs) });
      const text = await response.body.text();
      if (response.statusCode !== 200) return { isUp: false, detail: `${config.path} answered ${response.statusCode} ${text.trim().slice(0, 80)}` };
      if (config.watchQuiescing) await this.#checkQuiescing(tracker, headers);
      return { isUp: true, detail: `${config.path} answered 200` };
    } catch (error) {
      const code = (error as { code?: string; name?: string }).code ?? (error as Error).name;
      return { isUp: false, detail: `${config.path}: ${code === 'TimeoutError' || code === 'UND_ERR_ABORTED' ? `no answer within ${config.timeoutMs} ms` : `${code}: ${(error as Error).message}`}` };
    }
  }

  /** /healthz stays OK while impalad quiesces; /backends?json tells (research §4). */
  async #checkQuiescing(tracker: Tracker, headers: Record<string, string>): Promise<void> {
    const coordinator = tracker.coordinator;
    const response = await tracker.client.request({ path: '/backends?json', method: 'GET', headers, signal: AbortSignal.timeout(this.#options.config.timeoutMs) });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return;
    }
    const report = (await response.body.json()) as { backends?: Array<{ webserver_url?: string; address?: string; is_quiescing?: boolean; is_coordinator?: boolean }> };
    const suffix = `:${coordinator.config.webuiPort}`;
    const self = report.backends?.find((backend) => backend.webserver_url?.replace(/\/+$/, '').endsWith(suffix) && backend.webserver_url.includes(coordinator.config.host));
    const isQuiescing = self?.is_quiescing === true;
    if (isQuiescing !== coordinator.isQuiescing) {
      coordinator.isQuiescing = isQuiescing;
      coordinator.logger.warn({ event: 'quiescing', isQuiescing }, `coordinator ${coordinator.name} ${isQuiescing ? 'is quiescing: draining it' : 'stopped quiescing'}`);
      this.#options.onChange?.(coordinator);
    }
  }

  #setHealth(tracker: Tracker, health: 'up' | 'down', reason: string): void {
    if (tracker.coordinator.setHealth(health, reason)) this.#options.onChange?.(tracker.coordinator);
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    for (const tracker of this.#trackers.values()) clearTimeout(tracker.timer);
    await Promise.all([...this.#trackers.values()].map((tracker) => tracker.client.destroy()));
  }
}
