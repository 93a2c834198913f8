// Active health checks of one config generation: per coordinator a probe round every
// `health.intervalMs` — the web UI's /healthz (and /backends?json when quiescing is watched) and,
// when `health.hs2Probe.enabled`, a harmless Thrift call on the hs2 port — reported to the
// process-lifetime HealthMonitor. The prober is wiring: its clients and timers belong to the
// generation and stop when a reload retires it; what it learnt stays in the monitor.
import type { Config } from '../config/schema.ts';
import { tlsConnectOptions, type UpstreamTlsOptions } from '../tls/files.ts';
import type { Coordinator } from './coordinator.ts';
import type { HealthMonitor } from './health-monitor.ts';
import { hs2ProbeBody } from './hs2-probe.ts';
import { Client, request } from './undici.ts';

interface Check {
  readonly isUp: boolean;
  readonly isRefused: boolean;
  readonly detail: string;
  /** The web UI check with health.watchQuiescing: what /backends?json said (undefined: no usable answer). */
  readonly isQuiescing?: boolean | undefined;
}

/**
 * A probe round's time limit, kept by one timer that knows when it fired. When this process did not
 * run for a while (a long GC pause, a burst of TLS handshakes on a busy core), an expired timer
 * runs before the I/O that has been waiting meanwhile: the answer may be in the socket already.
 * A timeout whose timer fired that late proves nothing about the coordinator, so such a round is
 * not counted either way. Seen in the test suite: one process running the proxy, three simulators
 * and twenty clients on a loaded 2-core machine marked every coordinator down at once.
 */
class Deadline {
  readonly signal: AbortSignal;
  /**
   * Resolves when the limit expires. A check races it: undici does not settle a request aborted
   * while its connection is still being made (a frozen coordinator accepts TCP and never finishes
   * the TLS handshake) until its own connect timeout.
   */
  readonly expired: Promise<void>;
  readonly #dueAt: number;
  readonly #timer: NodeJS.Timeout;
  #firedAt: number | undefined;

  constructor(timeoutMs: number) {
    const controller = new AbortController();
    this.signal = controller.signal;
    this.#dueAt = performance.now() + timeoutMs;
    let expire!: () => void;
    this.expired = new Promise((resolve) => (expire = resolve));
    this.#timer = setTimeout(() => {
      this.#firedAt = performance.now();
      controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      expire();
    }, timeoutMs);
  }

  /** `check`, or a timed-out Check when the limit expires first. */
  race(check: Promise<Check>, what: string, timeoutMs: number): Promise<Check> {
    return Promise.race([check, this.expired.then(() => failedCheck(what, new DOMException('timeout', 'TimeoutError'), timeoutMs))]);
  }

  /** The limit expired, but its timer ran so late that the expiry says nothing. */
  wasStalled(toleranceMs: number): boolean {
    return this.#firedAt !== undefined && this.#firedAt - this.#dueAt > toleranceMs;
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

interface Target {
  readonly coordinator: Coordinator;
  readonly webui: Client;
  readonly hs2: Client | undefined;
  timer: NodeJS.Timeout | undefined;
}

export interface ProberOptions {
  readonly config: Config['health'];
  readonly tls: UpstreamTlsOptions | undefined;
  readonly monitor: HealthMonitor;
}

export class Prober {
  readonly #options: ProberOptions;
  readonly #targets: Target[];
  readonly #authorization: string | undefined;
  #isStarted = false;
  #isClosed = false;

  constructor(coordinators: readonly Coordinator[], options: ProberOptions) {
    this.#options = options;
    const { config, tls } = options;
    const auth = config.basicAuth;
    this.#authorization = auth ? `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` : undefined;
    // undici's own limits stay just behind the round's Deadline, which is the one that counts; they
    // clean up what the Deadline gave up on.
    const backstopMs = config.timeoutMs + 100;
    const clientOptions = (origin: string, host: string) => ({
      connectTimeout: backstopMs,
      headersTimeout: backstopMs,
      bodyTimeout: backstopMs,
      keepAliveTimeout: config.intervalMs * 2,
      ...(origin.startsWith('https:') && { connect: tlsConnectOptions(tls, host) }),
    });
    this.#targets = coordinators.map((coordinator) => ({
      coordinator,
      webui: new Client(coordinator.webuiOrigin, clientOptions(coordinator.webuiOrigin, coordinator.config.host)),
      hs2: config.hs2Probe.enabled ? new Client(coordinator.hs2Origin, clientOptions(coordinator.hs2Origin, coordinator.config.host)) : undefined,
      timer: undefined,
    }));
  }

  start(): void {
    if (this.#isStarted || this.#isClosed) return;
    this.#isStarted = true;
    for (const target of this.#targets) this.#schedule(target, 0);
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    for (const target of this.#targets) clearTimeout(target.timer);
    await Promise.all(this.#targets.flatMap((target) => [target.webui.destroy(), target.hs2?.destroy()]));
  }

  #schedule(target: Target, delayMs: number): void {
    if (this.#isClosed) return;
    target.timer = setTimeout(() => void this.#round(target), delayMs);
    target.timer.unref();
  }

  async #round(target: Target): Promise<void> {
    const { config, monitor } = this.#options;
    const started = performance.now();
    const deadline = new Deadline(config.timeoutMs);
    const [webui, hs2] = await Promise.all([
      deadline.race(this.#checkWebui(target, deadline.signal), config.path, config.timeoutMs),
      target.hs2 === undefined ? undefined : deadline.race(this.#checkHs2(target.hs2, deadline.signal), `hs2 ${config.hs2Probe.path}`, config.timeoutMs),
    ]);
    deadline.clear();
    // Closed: a reload retired this generation and may have reset what it knew; report nothing more.
    if (this.#isClosed) return;
    // A real answer even in a stalled round: only a timeout's verdict is void then.
    if (webui.isQuiescing !== undefined) monitor.setQuiescing(target.coordinator.name, webui.isQuiescing);
    if (deadline.wasStalled(Math.max(100, config.timeoutMs / 2))) return this.#schedule(target, 0);
    const failed = !webui.isUp ? webui : hs2 !== undefined && !hs2.isUp ? hs2 : undefined;
    const check = failed ?? (hs2 === undefined ? webui : { ...webui, detail: `${webui.detail}, ${hs2.detail}` });
    monitor.observeProbe(target.coordinator.name, { ...check, atMs: Date.now(), durationMs: Math.round(performance.now() - started) });
    // Fixed rate, like HAProxy's `inter`: the next round starts one interval after this one
    // started, not after it timed out. Waiting `interval` after a failed probe's timeout made a
    // frozen coordinator cost fall × (interval + timeout) + interval, 9.9 s measured with the
    // defaults, instead of fall × interval + timeout (test/integration/failover-freeze.test.ts).
    this.#schedule(target, Math.max(0, config.intervalMs - (performance.now() - started)));
  }

  async #checkWebui(target: Target, signal: AbortSignal): Promise<Check> {
    const { config } = this.#options;
    const headers: Record<string, string> = this.#authorization ? { authorization: this.#authorization } : {};
    try {
      const response = await request.call(target.webui, { path: config.path, method: 'GET', headers, signal });
      const text = await response.body.text();
      if (response.statusCode !== 200) return { isUp: false, isRefused: false, detail: `${config.path} answered ${response.statusCode} ${text.trim().slice(0, 80)}` };
      const isQuiescing = config.watchQuiescing ? await this.#readQuiescing(target, headers, signal) : undefined;
      return { isUp: true, isRefused: false, detail: `${config.path} answered 200`, isQuiescing };
    } catch (error) {
      return failedCheck(config.path, error, config.timeoutMs);
    }
  }

  /**
   * Any HTTP answer proves the hs2 service answers: a Thrift error ("Invalid session id" for the
   * all-zero handle) or a 401 from an impalad with authentication. `reset` closes the connection
   * after each probe: every hs2 connection holds one of impalad's fe_service_threads for its life.
   */
  async #checkHs2(client: Client, signal: AbortSignal): Promise<Check> {
    const { config } = this.#options;
    const path = config.hs2Probe.path;
    try {
      const response = await request.call(client, {
        path,
        method: 'POST',
        headers: { 'content-type': 'application/x-thrift', accept: 'application/x-thrift' },
        body: hs2ProbeBody,
        reset: true,
        signal,
      });
      await response.body.dump();
      return { isUp: true, isRefused: false, detail: `hs2 ${path} answered ${response.statusCode}` };
    } catch (error) {
      return failedCheck(`hs2 ${path}`, error, config.timeoutMs);
    }
  }

  /** /healthz stays OK while impalad quiesces; /backends?json tells (research §4). */
  async #readQuiescing(target: Target, headers: Record<string, string>, signal: AbortSignal): Promise<boolean | undefined> {
    const { coordinator } = target;
    const response = await request.call(target.webui, { path: '/backends?json', method: 'GET', headers, signal });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return undefined;
    }
    const report = (await response.body.json()) as { backends?: Array<{ webserver_url?: string; is_quiescing?: boolean }> };
    const suffix = `:${coordinator.config.webuiPort}`;
    const self = report.backends?.find((backend) => backend.webserver_url?.replace(/\/+$/, '').endsWith(suffix) && backend.webserver_url.includes(coordinator.config.host));
    return self?.is_quiescing === true;
  }
}

function failedCheck(what: string, error: unknown, timeoutMs: number): Check {
  const name = (error as Error | null)?.name;
  const code = (error as { code?: unknown } | null)?.code;
  // The Deadline aborts with a DOMException named TimeoutError, whose numeric `code` is 23: read
  // as an error code, it made the log say "23: The operation was aborted due to timeout".
  const isTimeout = name === 'TimeoutError' || code === 'UND_ERR_ABORTED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT';
  if (isTimeout) return { isUp: false, isRefused: false, detail: `${what}: no answer within ${timeoutMs} ms` };
  const label = typeof code === 'string' ? code : name ?? 'Error';
  return { isUp: false, isRefused: code === 'ECONNREFUSED', detail: `${what}: ${label}: ${(error as Error)?.message ?? String(error)}` };
}
