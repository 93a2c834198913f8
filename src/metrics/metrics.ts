// Prometheus metrics for one proxy instance (own Registry: several proxies in one process, as in
// the tests, never collide). What every request counts is bumped as plain numbers (tallies,
// tallied-counter.ts) and rarer events through label children, both resolved once per coordinator;
// gauges read live state at scrape time in collect(), so nothing ticks.
//
// With workers (src/cluster/) each process registers what it alone knows, and the primary's
// /metrics adds them up with prom-client's AggregatorRegistry.aggregate (sum unless a metric says
// otherwise; the primary's own metrics come first, so their `aggregator` settings win):
// - a worker: traffic (requests, bytes, verdicts, connections, TLS, TCP) and its own live state
//   (requests in flight, pooled and queued upstream connections, open connections), all summed;
// - the primary: the state it owns — health, operator state, learned sessions — and the events it
//   alone sees (health changes, reloads, admin actions). Summing coordinator_up over workers would
//   say 2 for "up"; only the primary reports it (aggregator 'first' says so once more).
// Process metrics (CPU, memory, event loop lag: prom-client's own aggregators) cover every process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { verdicts, type Outcome, type Verdict } from '../hs2/outcome.ts';
import { hs2Methods } from '../hs2/methods.ts';
import type { TcpOutcome } from '../tcp/outcome.ts';
import type { Coordinator } from '../upstream/coordinator.ts';
import { RecentRequests } from './recent-requests.ts';
import { TalliedCounter, type Tally } from './tallied-counter.ts';
import { TcpMetrics } from './tcp-metrics.ts';

const prefix = 'impala_ha_proxy_';

/** Live state read at scrape time; getters because a reload swaps the objects behind them. */
export interface MetricsSource {
  coordinators(): readonly Coordinator[];
  learnedSessions(): number;
  /** Open client connections per listener kind. */
  clientConnections(): Promise<ReadonlyMap<string, number>>;
  /** TCP listeners and their open connections per coordinator. */
  tcpListeners(): readonly { readonly name: string; openByCoordinator(): ReadonlyMap<string, number> }[];
}

const statusClasses = ['none', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Label children of one coordinator, resolved on its first request and reused after. */
class CoordinatorSeries {
  readonly name: string;
  readonly recent = new RecentRequests();
  readonly duration: Histogram.Internal<string>;
  readonly proxyAdded: Histogram.Internal<string>;
  readonly bytesIn: Tally;
  readonly bytesOut: Tally;
  readonly #requests: TalliedCounter<'coordinator' | 'method' | 'status_class'>;
  /** method → series indexed like statusClasses. */
  readonly #byMethod = new Map<string, (Tally | undefined)[]>();

  constructor(name: string, metrics: ProxyMetrics) {
    this.name = name;
    this.#requests = metrics.requests;
    this.duration = metrics.duration.labels(name);
    this.proxyAdded = metrics.proxyAdded.labels(name);
    this.bytesIn = metrics.bytesIn.series({ coordinator: name });
    this.bytesOut = metrics.bytesOut.series({ coordinator: name });
  }

  countRequest(method: string, status: number): void {
    const classIndex = status >= 100 && status < 600 ? Math.floor(status / 100) : 0;
    let children = this.#byMethod.get(method);
    if (children === undefined) this.#byMethod.set(method, (children = []));
    const tally = (children[classIndex] ??= this.#requests.series({ coordinator: this.name, method, status_class: statusClasses[classIndex]! }));
    tally.value += 1;
  }
}

/** single: one process, every metric; primary and worker: their share (see the top of this file). */
export type MetricsRole = 'single' | 'primary' | 'worker';

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly requests: TalliedCounter<'coordinator' | 'method' | 'status_class'>;
  readonly duration: Histogram<'coordinator'>;
  readonly proxyAdded: Histogram<'coordinator'>;
  readonly bytesIn: TalliedCounter<'coordinator'>;
  readonly bytesOut: TalliedCounter<'coordinator'>;
  readonly #verdicts: Record<Verdict, Tally>;
  readonly #upstreamFailures: Counter<'coordinator' | 'code'>;
  readonly #refused: Counter<'code'>;
  readonly #repins: Counter<'reason'>;
  readonly #pinsIssued: Counter.Internal;
  readonly #replays: Counter.Internal;
  readonly #unavailable: Counter.Internal;
  readonly #connections: Counter<'listener'>;
  readonly #handshakes: Counter<'listener'>;
  readonly #tlsErrors: Counter<'listener' | 'code'>;
  readonly #healthChanges: Counter<'coordinator' | 'health'>;
  readonly #reloads: Counter<'result'>;
  readonly #adminActions: Counter<'action'>;
  readonly #tcp: TcpMetrics;
  readonly #clusterMessages: Counter<'direction'>;
  readonly #series = new Map<string, CoordinatorSeries>();

  constructor(source: MetricsSource, role: MetricsRole = 'single') {
    // A metric with no registry is still written to but never reported: in the process that does
    // not own it, it stays empty.
    const traffic = role === 'primary' ? [] : [this.registry];
    const owned = role === 'worker' ? [] : [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix });
    this.requests = new TalliedCounter({ name: `${prefix}requests_total`, help: 'hs2 requests by coordinator, Thrift method (other/unknown outside the HS2 IDL) and HTTP status class (none: no response, e.g. the client left)', labelNames: ['coordinator', 'method', 'status_class'], registers: traffic });
    this.duration = new Histogram({ name: `${prefix}request_duration_seconds`, help: 'Total time of an hs2 request at the proxy, from request start to response end', labelNames: ['coordinator'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: traffic });
    this.proxyAdded = new Histogram({ name: `${prefix}proxy_added_duration_seconds`, help: 'Time an hs2 request spent in the proxy before it was dispatched to a coordinator (body read, sniffing, routing)', labelNames: ['coordinator'], buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5], registers: traffic });
    this.bytesIn = new TalliedCounter({ name: `${prefix}request_bytes_total`, help: 'hs2 request body bytes received from clients', labelNames: ['coordinator'], registers: traffic });
    this.bytesOut = new TalliedCounter({ name: `${prefix}response_bytes_total`, help: 'hs2 response body bytes sent to clients', labelNames: ['coordinator'], registers: traffic });
    const verdictCounter = new TalliedCounter({ name: `${prefix}affinity_decisions_total`, help: 'Routing verdicts: new (first pin), kept, recovered (by session handle, re-pinned there), handle (by session handle, cookie left alone), repinned, invalid (forged or unknown cookie)', labelNames: ['verdict'], registers: traffic });
    this.#verdicts = Object.fromEntries(verdicts.map((verdict) => [verdict, verdictCounter.series({ verdict })])) as Record<Verdict, Tally>;
    this.#upstreamFailures = new Counter({ name: `${prefix}upstream_failures_total`, help: 'Failed attempts of hs2 requests, charged to the coordinator that failed them, by error code (UPSTREAM_RESET, UPSTREAM_HEADERS_TIMEOUT, UPSTREAM_DOWN…)', labelNames: ['coordinator', 'code'], registers: traffic });
    this.#refused = new Counter({ name: `${prefix}refused_requests_total`, help: 'hs2 requests the proxy answered itself without sending them to a coordinator (bad method, target or body; client gone; body timeout), by error code', labelNames: ['code'], registers: traffic });
    this.#repins = new Counter({ name: `${prefix}repins_total`, help: 'Clients moved to another coordinator, by reason (down, disabled, removed, draining, failover)', labelNames: ['reason'], registers: traffic });
    this.#pinsIssued = new Counter({ name: `${prefix}pins_issued_total`, help: 'Responses that carried a new affinity cookie', registers: traffic }).labels();
    this.#replays = new Counter({ name: `${prefix}replays_total`, help: 'Requests replayed to a peer after their coordinator failed before responding', registers: traffic }).labels();
    this.#unavailable = new Counter({ name: `${prefix}unavailable_responses_total`, help: '503 responses: no coordinator was available', registers: traffic }).labels();
    this.#connections = new Counter({ name: `${prefix}client_connections_total`, help: 'Client connections accepted, by listener', labelNames: ['listener'], registers: traffic });
    this.#handshakes = new Counter({ name: `${prefix}tls_handshakes_total`, help: 'Completed front-end TLS handshakes', labelNames: ['listener'], registers: traffic });
    this.#tlsErrors = new Counter({ name: `${prefix}tls_errors_total`, help: 'Front-end TLS handshake failures, by OpenSSL/Node error code', labelNames: ['listener', 'code'], registers: traffic });
    this.#healthChanges = new Counter({ name: `${prefix}health_changes_total`, help: 'Coordinator health transitions', labelNames: ['coordinator', 'health'], registers: owned });
    this.#reloads = new Counter({ name: `${prefix}config_reloads_total`, help: 'Configuration reloads (SIGHUP), by result', labelNames: ['result'], registers: owned });
    this.#adminActions = new Counter({ name: `${prefix}admin_actions_total`, help: 'Operator actions through the admin API', labelNames: ['action'], registers: owned });
    this.#tcp = new TcpMetrics(prefix, traffic);
    this.#clusterMessages = new Counter({ name: `${prefix}cluster_messages_total`, help: 'With server.workers > 1: IPC messages between the primary and the workers (to_primary: from every worker; to_workers: one per worker a message went to). None for an RPC that keeps its pin', labelNames: ['direction'], registers: role === 'single' ? [] : [this.registry] });

    new Gauge({
      name: `${prefix}coordinator_up`, help: 'Health: 1 up, 0 down', labelNames: ['coordinator'], registers: owned, aggregator: 'first',
      collect() {
        this.reset();
        for (const c of source.coordinators()) this.labels(c.name).set(c.health === 'up' ? 1 : 0);
      },
    });
    new Gauge({
      name: `${prefix}coordinator_operator_state`, help: 'Operator state (1 for the current one); quiescing is reported by impalad and acts as draining', labelNames: ['coordinator', 'state'], registers: owned, aggregator: 'first',
      collect() {
        this.reset();
        for (const c of source.coordinators()) {
          for (const state of ['enabled', 'draining', 'disabled'] as const) this.labels(c.name, state).set(c.operatorState === state ? 1 : 0);
          this.labels(c.name, 'quiescing').set(c.isQuiescing ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: `${prefix}coordinator_sessions`, help: 'Open HS2 sessions learned from OpenSession/CloseSession replies', labelNames: ['coordinator'], registers: owned, aggregator: 'first',
      collect() {
        this.reset();
        for (const c of source.coordinators()) this.labels(c.name).set(c.sessions);
      },
    });
    new Gauge({
      name: `${prefix}learned_sessions`, help: 'Entries in the session map (session handle → coordinator)', registers: owned, aggregator: 'first',
      collect() {
        this.set(source.learnedSessions());
      },
    });
    new Gauge({
      name: `${prefix}coordinator_in_flight_requests`, help: 'hs2 requests waiting on or streaming from the coordinator', labelNames: ['coordinator'], registers: traffic,
      collect() {
        this.reset();
        for (const c of source.coordinators()) this.labels(c.name).set(c.inFlight.size);
      },
    });
    new Gauge({
      name: `${prefix}upstream_connections`, help: 'Pooled keep-alive connections to the coordinator, in use or idle', labelNames: ['coordinator', 'state'], registers: traffic,
      collect() {
        this.reset();
        for (const c of source.coordinators()) {
          const stats = c.pool.stats;
          this.labels(c.name, 'in_use').set(stats.connected - stats.free);
          this.labels(c.name, 'idle').set(stats.free);
        }
      },
    });
    new Gauge({
      name: `${prefix}upstream_queued_requests`, help: 'Requests waiting for a pooled connection to the coordinator', labelNames: ['coordinator'], registers: traffic,
      collect() {
        this.reset();
        for (const c of source.coordinators()) this.labels(c.name).set(c.pool.stats.pending);
      },
    });
    new Gauge({
      name: `${prefix}tcp_open_connections`, help: 'Open TCP listener connections, by listener and coordinator', labelNames: ['listener', 'coordinator'], registers: traffic,
      collect() {
        this.reset();
        for (const listener of source.tcpListeners()) for (const [coordinator, open] of listener.openByCoordinator()) this.labels(listener.name, coordinator).set(open);
      },
    });
    new Gauge({
      name: `${prefix}client_connections`, help: 'Open client connections, by listener', labelNames: ['listener'], registers: traffic,
      async collect() {
        this.reset();
        for (const [listener, count] of await source.clientConnections()) this.labels(listener).set(count);
      },
    });
  }

  series(coordinator: string): CoordinatorSeries {
    let series = this.#series.get(coordinator);
    if (series === undefined) this.#series.set(coordinator, (series = new CoordinatorSeries(coordinator, this)));
    return series;
  }

  /**
   * Every hs2 request's Outcome. A request is counted against the coordinator whose response the
   * client got or, when the proxy answered a failure itself, the coordinator that failed it; its
   * failed attempts are counted against the coordinators that failed them, never against the peer
   * that answered the replay.
   */
  observe(outcome: Outcome): void {
    if (outcome.verdict === undefined) {
      if (outcome.error !== undefined) this.#refused.labels(outcome.error.code).inc();
      return;
    }
    this.#verdicts[outcome.verdict].value += 1;
    if (outcome.repin !== undefined && outcome.verdict === 'repinned') this.#repins.labels(outcome.repin).inc();
    const attempts = outcome.attempts;
    if (attempts.length > 1) this.#replays.inc(attempts.length - 1);
    const nowMs = Date.now();
    for (const attempt of attempts) {
      if (attempt.error === undefined || attempt.error === 'CLIENT_ABORTED') continue;
      this.#upstreamFailures.labels(attempt.coordinator, attempt.error).inc();
      this.series(attempt.coordinator).recent.record(nowMs, attempt.ms, true);
    }
    if (outcome.pinnedTo !== undefined) this.#pinsIssued.inc();
    if (outcome.error?.code === 'NO_COORDINATOR') this.#unavailable.inc();
    const charged = outcome.servedBy ?? attempts.at(-1)?.coordinator;
    if (charged === undefined) return;
    const series = this.series(charged);
    const method = outcome.rpc;
    series.countRequest(method === undefined ? 'unknown' : hs2Methods.has(method) ? method : 'other', outcome.status);
    // The time this coordinator took (and the proxy's share), not the time lost on a failed peer first.
    const own = outcome.servedBy !== undefined ? attempts.at(-1)!.ms + (outcome.totalMs - outcome.upstreamMs) : outcome.totalMs;
    series.duration.observe(own / 1000);
    series.proxyAdded.observe(Math.max(0, outcome.totalMs - outcome.upstreamMs) / 1000);
    series.bytesIn.value += outcome.bytesIn;
    series.bytesOut.value += outcome.bytesOut;
    if (outcome.servedBy !== undefined) series.recent.record(nowMs, own, outcome.status >= 500);
  }

  countConnection(listener: string): void {
    this.#connections.labels(listener).inc();
  }

  countHandshake(listener: string): void {
    this.#handshakes.labels(listener).inc();
  }

  countTlsError(listener: string, code: string | undefined): void {
    this.#tlsErrors.labels(listener, code ?? 'unknown').inc();
  }

  countHealthChange(coordinator: string, health: string): void {
    this.#healthChanges.labels(coordinator, health).inc();
  }

  countReload(result: 'ok' | 'rejected'): void {
    this.#reloads.labels(result).inc();
  }

  tcpConnected(listener: string, coordinator: string): void {
    this.#tcp.connected(listener, coordinator);
  }

  /** Every TCP listener connection's end. */
  observeTcp(outcome: TcpOutcome): void {
    this.#tcp.observe(outcome);
  }

  countClusterMessages(direction: 'to_primary' | 'to_workers', count: number): void {
    this.#clusterMessages.labels(direction).inc(count);
  }

  countAdminAction(action: string): void {
    this.#adminActions.labels(action).inc();
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    this.registry.clear();
  }
}
