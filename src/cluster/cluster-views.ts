// What the primary's admin listener shows with workers: /status and /metrics over every process.
// The primary asks the workers that serve (with a deadline: a worker that does not answer in time
// is shown as such, its figures missing, but /metrics keeps its counters as it last answered) and
// merges their answers with what it owns itself.
import { AggregatorRegistry } from 'prom-client';
import type { AdminMetrics } from '../admin/server.ts';
import type { Generation } from '../generation.ts';
import type { ProxyMetrics } from '../metrics/metrics.ts';
import { takeStatusSnapshot, type StatusSnapshot, type TcpListenerSource, type WorkerStatus } from '../status/snapshot.ts';
import type { WorkerReport } from './protocol.ts';
import type { MetricsSnapshot, RetiredCounters } from './retired-counters.ts';
import { mergeReports, workerInFlight, workerRequestsPerSec } from './status-merge.ts';
import type { Supervisor } from './supervisor.ts';

export interface PrimaryFacts {
  readonly version: string;
  readonly startedAtMs: number;
  generation(): Generation;
}

/** Health, operator state, sessions and probes from the primary; traffic and TCP connections from every worker. */
export async function clusterStatus(supervisor: Supervisor, primary: PrimaryFacts, deadlineMs: number): Promise<StatusSnapshot> {
  const nowMs = Date.now();
  const asked = supervisor.serving();
  const answers = await supervisor.ask(asked, { kind: 'status', nowMs }, deadlineMs);
  const merged = mergeReports(answers.filter((answer): answer is WorkerReport => answer !== undefined), nowMs);
  const current = primary.generation();
  const bound = asked.find((handle) => handle.tcpListeners.length > 0)?.tcpListeners ?? [];
  const workers = supervisor.handles.map((handle): WorkerStatus => {
    const report = answers[asked.indexOf(handle)];
    return {
      id: handle.id,
      pid: handle.pid,
      startedAt: new Date(handle.startedAtMs ?? handle.forkedAtMs).toISOString(),
      state: handle.phase === 'forked' ? 'starting' : handle.phase,
      isAnswering: report !== undefined,
      generation: report?.generation ?? null,
      requestsPerSec: report === undefined ? null : workerRequestsPerSec(report),
      inFlight: report === undefined ? null : workerInFlight(report),
      learnedSessions: report?.learnedSessions ?? null,
      clientConnections: report?.clientConnections ?? null,
      peerTcpConnections: report?.peerConnections ?? null,
    };
  });
  const tcpListeners = current.config.tcp.map((listener): TcpListenerSource => ({
    name: listener.name,
    host: listener.host,
    // Port 0 in the config: the port the workers were given.
    port: bound.find((b) => b.name === listener.name)?.port ?? listener.port,
    settings: () => listener,
    openByCoordinator: () => new Map(Object.entries({ ...Object.fromEntries(current.coordinators.all.map((c) => [c.name, 0])), ...merged.tcpOpen(listener.name) })),
  }));
  return takeStatusSnapshot(
    {
      version: primary.version,
      startedAtMs: primary.startedAtMs,
      coordinators: () => current.coordinators.all,
      generation: () => current,
      traffic: (coordinator) => merged.traffic(coordinator.name),
      tcpListeners: () => tcpListeners,
      workers: () => workers,
    },
    nowMs,
  );
}

/**
 * Every process's metrics added up, the primary's first (its `aggregator` settings win), with the
 * counters of workers that are gone (retired-counters.ts): a replaced worker takes no count with it.
 */
export function aggregatedMetrics(metrics: ProxyMetrics, supervisor: Supervisor, counters: RetiredCounters, deadlineMs: number): AdminMetrics {
  return {
    registry: metrics.registry,
    countAdminAction: (action: string) => metrics.countAdminAction(action),
    async exposition(): Promise<string> {
      const own = await metrics.registry.getMetricsAsJSON();
      const asked = supervisor.serving();
      const answers = await supervisor.ask(asked, { kind: 'metrics' }, deadlineMs);
      const answered = new Map(asked.map((handle, i) => [handle, answers[i]]));
      const all: MetricsSnapshot[] = [own];
      // The workers alive now. One that exited while asked is in `retired` with its previous answer:
      // its answer here would count it twice. One that did not answer (or is not serving) shows
      // its counters as last seen, so that they do not drop for one scrape.
      for (const handle of supervisor.handles) {
        const answer = answered.get(handle);
        if (answer !== undefined) counters.remember(handle.id, answer);
        const part = answer ?? counters.last(handle.id);
        if (part !== undefined) all.push(part);
      }
      all.push(counters.retired);
      return AggregatorRegistry.aggregate(all).metrics();
    },
  };
}
