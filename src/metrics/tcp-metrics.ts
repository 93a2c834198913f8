// The TCP listeners' counters. Every connection bumps three to five of them. prom-client's
// labels() builds a label object and a bound inc for each call (node_modules/prom-client/lib/
// counter.js, 15.x), so each listener × coordinator (and listener × end) resolves its children
// once, on first use, and keeps them, as CoordinatorSeries does for hs2. A child's inc() still
// hashes its labels: that part is prom-client's. A child registers no series until its first inc.
import { Counter, type Registry } from 'prom-client';
import type { TcpEnd, TcpOutcome } from '../tcp/outcome.ts';

/** Children of one listener × coordinator. */
interface CoordinatorChildren {
  readonly connections: Counter.Internal;
  readonly bytesIn: Counter.Internal;
  readonly bytesOut: Counter.Internal;
  /** By error code. */
  readonly connectFailures: Map<string, Counter.Internal>;
}

/** Children of one listener. */
class ListenerSeries {
  readonly #name: string;
  readonly #counters: TcpMetrics;
  readonly #coordinators = new Map<string, CoordinatorChildren>();
  readonly #ends = new Map<TcpEnd, Counter.Internal>();
  #retries: Counter.Internal | undefined;

  constructor(name: string, counters: TcpMetrics) {
    this.#name = name;
    this.#counters = counters;
  }

  coordinator(name: string): CoordinatorChildren {
    let children = this.#coordinators.get(name);
    if (children === undefined) {
      const { connections, bytes } = this.#counters;
      children = {
        connections: connections.labels(this.#name, name),
        bytesIn: bytes.labels(this.#name, name, 'in'),
        bytesOut: bytes.labels(this.#name, name, 'out'),
        connectFailures: new Map(),
      };
      this.#coordinators.set(name, children);
    }
    return children;
  }

  end(end: TcpEnd): Counter.Internal {
    let child = this.#ends.get(end);
    if (child === undefined) this.#ends.set(end, (child = this.#counters.ends.labels(this.#name, end)));
    return child;
  }

  connectFailure(coordinator: string, code: string): Counter.Internal {
    const byCode = this.coordinator(coordinator).connectFailures;
    let child = byCode.get(code);
    if (child === undefined) byCode.set(code, (child = this.#counters.connectFailures.labels(this.#name, coordinator, code)));
    return child;
  }

  get retries(): Counter.Internal {
    return (this.#retries ??= this.#counters.retries.labels(this.#name));
  }
}

export class TcpMetrics {
  readonly connections: Counter<'listener' | 'coordinator'>;
  readonly ends: Counter<'listener' | 'end'>;
  readonly bytes: Counter<'listener' | 'coordinator' | 'direction'>;
  readonly connectFailures: Counter<'listener' | 'coordinator' | 'code'>;
  readonly retries: Counter<'listener'>;
  readonly #listeners = new Map<string, ListenerSeries>();

  constructor(prefix: string, registers: Registry[]) {
    this.connections = new Counter({ name: `${prefix}tcp_connections_total`, help: 'TCP listener connections a coordinator accepted, by listener and coordinator', labelNames: ['listener', 'coordinator'], registers });
    this.ends = new Counter({ name: `${prefix}tcp_connection_ends_total`, help: 'TCP listener connections ended, by why: client-closed, coordinator-closed, client-idle, coordinator-idle, client-error, coordinator-error, coordinator-down and disabled (closed by the proxy), no-coordinator, connect-failed, shutdown', labelNames: ['listener', 'end'], registers });
    this.bytes = new Counter({ name: `${prefix}tcp_bytes_total`, help: 'Bytes through TCP listeners; direction in: client to coordinator, out: coordinator to client', labelNames: ['listener', 'coordinator', 'direction'], registers });
    this.connectFailures = new Counter({ name: `${prefix}tcp_connect_failures_total`, help: 'Connects to a coordinator that failed before any client byte reached it, by error code', labelNames: ['listener', 'coordinator', 'code'], registers });
    this.retries = new Counter({ name: `${prefix}tcp_retries_total`, help: 'TCP connections moved to the next coordinator after a failed connect', labelNames: ['listener'], registers });
  }

  /** A coordinator accepted a connection of `listener`. */
  connected(listener: string, coordinator: string): void {
    this.#listener(listener).coordinator(coordinator).connections.inc();
  }

  /** Every TCP listener connection's end. */
  observe(outcome: TcpOutcome): void {
    const series = this.#listener(outcome.listener);
    series.end(outcome.end).inc();
    for (const failure of outcome.failedConnects) series.connectFailure(failure.coordinator, failure.code).inc();
    const retries = outcome.failedConnects.length - (outcome.end === 'connect-failed' ? 1 : 0);
    if (retries > 0) series.retries.inc(retries);
    if (outcome.coordinator === undefined) return;
    const children = series.coordinator(outcome.coordinator);
    children.bytesIn.inc(outcome.bytesIn);
    children.bytesOut.inc(outcome.bytesOut);
  }

  #listener(name: string): ListenerSeries {
    let series = this.#listeners.get(name);
    if (series === undefined) this.#listeners.set(name, (series = new ListenerSeries(name, this)));
    return series;
  }
}
