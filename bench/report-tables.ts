// The tables of bench/results.md. Every cell is the median over rounds with (min..max); a ratio or
// a difference between two targets is taken within each round first (so a noisy round moves both
// sides) and then summarised the same way.
import { availableParallelism } from 'node:os';
import type { Sample } from './measure.ts';
import { haproxyPeerOf, type TargetName } from './targets.ts';
import type { Workload } from './workloads.ts';

export const requestsPerSecond = (s: Sample) => s.load.requests / (s.load.durationUs / 1e6);
const megabytesPerSecond = (s: Sample) => s.load.bytes / s.load.durationUs; // bytes/µs = MB/s
export const cpuPerRequest = (s: Sample) => (s.cpuUs === undefined || s.load.requests === 0 ? undefined : s.cpuUs / s.load.requests);
const cpuPerMegabyte = (s: Sample) => (s.cpuUs === undefined || s.load.bytes === 0 ? undefined : s.cpuUs / (s.load.bytes / 1e6));
/** The generator's own in-run figure when it reports one (the Node generators), else its whole process (wrk, whose start-up is negligible). */
const generatorPerRequest = (s: Sample) => (s.load.requests === 0 ? undefined : (s.load.cpuUs ?? s.loadGeneratorCpuUs) / s.load.requests);
const coordinatorsPerRequest = (s: Sample) => (s.load.requests === 0 ? undefined : s.coordinatorsCpuUs / s.load.requests);
const errorCount = (s: Sample) => Object.values(s.load.errors).reduce((sum, n) => sum + n, 0);
const milliseconds = (us: number) => us / 1000;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function format(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** "median (min..max)", or just the value for a single round. */
export function spread(values: readonly (number | undefined)[], unit = ''): string {
  const defined = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (defined.length === 0) return '—';
  const m = `${format(median(defined))}${unit}`;
  if (defined.length === 1) return m;
  return `${m} (${format(Math.min(...defined))}..${format(Math.max(...defined))})`;
}

export function medianOf(samples: readonly Sample[], metric: (s: Sample) => number | undefined): number | undefined {
  const defined = samples.map(metric).filter((v): v is number => v !== undefined && Number.isFinite(v));
  return defined.length === 0 ? undefined : median(defined);
}

export function samplesOf(all: readonly Sample[], workload: Workload, target: TargetName): Sample[] {
  return all.filter((s) => s.workload === workload && s.target === target);
}

/** Per round: combine(mine, theirs) of the same workload and round. */
function pairwise(samples: readonly Sample[], all: readonly Sample[], reference: TargetName, metric: (s: Sample) => number | undefined, combine: (mine: number, theirs: number) => number | undefined): (number | undefined)[] {
  return samples.map((sample) => {
    const peer = all.find((s) => s.workload === sample.workload && s.round === sample.round && s.target === reference);
    const mine = metric(sample);
    const theirs = peer === undefined ? undefined : metric(peer);
    return mine === undefined || theirs === undefined ? undefined : combine(mine, theirs);
  });
}

export const ratio = (mine: number, theirs: number) => (theirs === 0 ? undefined : mine / theirs);
export const difference = (mine: number, theirs: number) => mine - theirs;

export function ratios(samples: readonly Sample[], all: readonly Sample[], reference: TargetName, metric: (s: Sample) => number | undefined): (number | undefined)[] {
  return pairwise(samples, all, reference, metric, ratio);
}

export function differences(samples: readonly Sample[], all: readonly Sample[], reference: TargetName, metric: (s: Sample) => number | undefined): (number | undefined)[] {
  return pairwise(samples, all, reference, metric, difference);
}

function percent(samples: readonly Sample[]): string {
  const shares = samples.map((s) => s.systemShare).filter((v): v is number => v !== undefined);
  return shares.length === 0 ? '—' : `${Math.round(median(shares) * 100)}%`;
}

function syscallCell(samples: readonly Sample[]): string {
  if (samples[0]?.target.startsWith('haproxy')) return 'n/a';
  const reads = samples.map((s) => s.readsPerRequest).filter((v): v is number => v !== undefined);
  const writes = samples.map((s) => s.writesPerRequest).filter((v): v is number => v !== undefined);
  return reads.length === 0 || writes.length === 0 ? '—' : `${format(median(reads))} + ${format(median(writes))}`;
}

/**
 * Cores busy during the run (CPU time ÷ wall time): the target, the load generator, the fake
 * coordinators, and the rest of the machine (other processes: the runner, other users' work; the
 * hypervisor's steal).
 */
function coresCell(samples: readonly Sample[]): string {
  const cores = (pick: (s: Sample) => number) => format(median(samples.map((s) => pick(s) / s.wallUs)));
  const rest = (s: Sample) => Math.max(0, s.machineBusyUs - (s.cpuUs ?? 0) - s.loadGeneratorCpuUs - s.coordinatorsCpuUs);
  return `${samples[0]?.cpuUs === undefined ? '—' : cores((s) => s.cpuUs ?? 0)} / ${cores((s) => s.loadGeneratorCpuUs)} / ${cores((s) => s.coordinatorsCpuUs)} / ${cores(rest)}`;
}

/** Cores nobody else took: what the target could have used at most (nproc − load gen − coordinators − rest). */
function coresLeftCell(samples: readonly Sample[]): string {
  const left = samples.map((s) => availableParallelism() - (Math.max(s.machineBusyUs - (s.cpuUs ?? 0), s.loadGeneratorCpuUs + s.coordinatorsCpuUs)) / s.wallUs);
  return spread(left);
}

function referenceRatio(target: TargetName, reference: TargetName, samples: readonly Sample[], all: readonly Sample[], metric: (s: Sample) => number | undefined): string {
  return target === reference ? '1' : spread(ratios(samples, all, reference, metric));
}

const header =
  '| target | req/s | p50 ms | p99 ms | p99.9 ms | MB/s | CPU µs/req | CPU µs/MB | % sys | peak RSS MiB | syscalls/req (read+write) | load gen µs/req | coordinators µs/req | cores: target / load gen / coordinators / rest | req/s ÷ direct | req/s ÷ HAProxy peer | CPU/req ÷ HAProxy peer | errors |';
const separator = '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|';

export function workloadTable(workload: Workload, targets: readonly TargetName[], all: readonly Sample[]): string {
  const rows = targets.flatMap((target) => {
    const samples = samplesOf(all, workload, target);
    if (samples.length === 0) return [];
    const peer = haproxyPeerOf(target);
    const cells = [
      peer === 'haproxy' || target === peer ? target : `${target} (vs ${peer})`,
      spread(samples.map(requestsPerSecond)),
      spread(samples.map((s) => milliseconds(s.load.latencyUs.p50))),
      spread(samples.map((s) => milliseconds(s.load.latencyUs.p99))),
      spread(samples.map((s) => (s.load.latencyUs.p999 === undefined ? undefined : milliseconds(s.load.latencyUs.p999)))),
      spread(samples.map(megabytesPerSecond)),
      spread(samples.map(cpuPerRequest)),
      spread(samples.map(cpuPerMegabyte)),
      percent(samples),
      spread(samples.map((s) => (s.peakRssBytes === undefined ? undefined : s.peakRssBytes / 1048576))),
      syscallCell(samples),
      spread(samples.map(generatorPerRequest)),
      spread(samples.map(coordinatorsPerRequest)),
      coresCell(samples),
      referenceRatio(target, 'direct', samples, all, requestsPerSecond),
      target === 'direct' ? '—' : referenceRatio(target, peer, samples, all, requestsPerSecond),
      target === 'direct' ? '—' : referenceRatio(target, peer, samples, all, cpuPerRequest),
      String(samples.map(errorCount).reduce((a, b) => a + b, 0)),
    ];
    return [`| ${cells.join(' | ')} |`];
  });
  return [`### ${workload.title}`, '', header, separator, ...rows].join('\n');
}

/** One line per workload, one cell per target: median req/s · CPU µs/req · p99 ms. */
export function summaryTable(workloads: readonly Workload[], targets: readonly TargetName[], all: readonly Sample[]): string {
  const shown = targets.filter((t) => all.some((s) => s.target === t && workloads.includes(s.workload)));
  const lines = [`| workload | ${shown.join(' | ')} |`, `|---|${shown.map(() => '--:').join('|')}|`];
  for (const workload of workloads) {
    const cells = shown.map((target) => {
      const samples = samplesOf(all, workload, target);
      if (samples.length === 0) return '—';
      const cpu = medianOf(samples, cpuPerRequest);
      return `${format(medianOf(samples, requestsPerSecond)!)} · ${cpu === undefined ? '—' : `${format(cpu)} µs`} · ${format(medianOf(samples, (s) => milliseconds(s.load.latencyUs.p99))!)} ms`;
    });
    if (cells.every((cell) => cell === '—')) continue;
    lines.push(`| ${workload.id} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * Where a request's CPU goes: Node's floor (a bare server; a pass-through with undici, or a
 * node:net pipe for binary HS2) and what impala-ha-proxy adds on top of the pass-through.
 */
export function floorTable(workloads: readonly Workload[], all: readonly Sample[]): string | undefined {
  const lines = [
    '| workload | node-http (bare server) | floor: undici-pass / tcp-pipe | naive | proxy | proxy − floor (the proxy\'s own) | own share of proxy | proxy ÷ HAProxy | floor ÷ HAProxy |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const workload of workloads) {
    const proxy = samplesOf(all, workload, 'proxy');
    if (proxy.length === 0) continue;
    const floorName: TargetName = workload.driver === 'binary' ? 'tcp-pipe' : 'undici-pass';
    const floor = samplesOf(all, workload, floorName);
    const cpu = (target: TargetName) => {
      const value = medianOf(samplesOf(all, workload, target), cpuPerRequest);
      return value === undefined ? '—' : `${format(value)} µs`;
    };
    const own = differences(proxy, all, floorName, cpuPerRequest);
    const ownShare = proxy.map((s, i) => {
      const mine = cpuPerRequest(s);
      return own[i] === undefined || mine === undefined || mine === 0 ? undefined : (own[i]! / mine) * 100;
    });
    lines.push(
      `| ${workload.id} | ${cpu('node-http')} | ${floor.length === 0 ? '—' : `${cpu(floorName)} (${floorName})`} | ${cpu('naive')} | ${cpu('proxy')} | ${spread(own, ' µs')} | ${spread(ownShare, ' %')} | ${spread(ratios(proxy, all, 'haproxy', cpuPerRequest))} | ${spread(ratios(floor, all, 'haproxy', cpuPerRequest))} |`,
    );
  }
  return lines.length > 2 ? lines.join('\n') : undefined;
}

/** Workers against HAProxy threads, with what the load generator and the rest took of the cores. */
export function workersTable(workloads: readonly Workload[], all: readonly Sample[]): string | undefined {
  const targets: TargetName[] = ['proxy', 'proxy-w1', 'proxy-w2', 'haproxy', 'haproxy-2t'];
  const lines = [
    '| workload | target | req/s | CPU µs/req | p99 ms | cores: target / load gen / coordinators / rest | cores left for the target | req/s ÷ HAProxy peer |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const workload of workloads) {
    if (workload.driver === 'open-loop' || workload.driver === 'micro') continue;
    if (!all.some((s) => s.workload === workload && (s.target === 'proxy-w2' || s.target === 'haproxy-2t'))) continue;
    for (const target of targets) {
      const samples = samplesOf(all, workload, target);
      if (samples.length === 0) continue;
      const peer = haproxyPeerOf(target);
      lines.push(
        `| ${workload.id} | ${target} | ${spread(samples.map(requestsPerSecond))} | ${spread(samples.map(cpuPerRequest))} | ${spread(samples.map((s) => milliseconds(s.load.latencyUs.p99)))} | ${coresCell(samples)} | ${coresLeftCell(samples)} | ${target === peer ? '1' : `${spread(ratios(samples, all, peer, requestsPerSecond))} (${peer})`} |`,
      );
    }
  }
  return lines.length > 2 ? lines.join('\n') : undefined;
}

/** e-open: each target at a fixed rate against direct at the same rate; the added latency per round. */
export function openLoopTable(workload: Workload, targets: readonly TargetName[], all: readonly Sample[]): string {
  const lines = [
    `### ${workload.title}`,
    '',
    '| target | closed-loop max req/s | offered req/s | achieved req/s | p50 ms | p99 ms | p99.9 ms | direct p50 / p99 / p99.9 ms | added p50 ms | added p99 ms | added p99.9 ms | generator lag p99 ms (target / direct) | CPU µs/req | load gen µs/req | errors |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const target of targets) {
    const samples = samplesOf(all, workload, target).filter((s) => s.openLoop !== undefined);
    if (samples.length === 0) continue;
    const direct = samples.map((s) => s.openLoop!.direct);
    const latency = (pick: (s: Sample) => number) => spread(samples.map((s) => milliseconds(pick(s))));
    const added = (pick: (s: Sample) => number) => spread(samples.map((s) => milliseconds(pick(s) - pick(s.openLoop!.direct))));
    const directCell = (['p50', 'p99', 'p999'] as const).map((p) => format(median(direct.map((s) => milliseconds(s.load.latencyUs[p]))))).join(' / ');
    const lag = (list: readonly Sample[]) => format(median(list.map((s) => milliseconds(s.load.lagUs?.p99 ?? 0))));
    // The generator (or a core it did not get) set the figure, not the target: it noticed requests
    // late by half the target's p99 or more, or did not get the rate out.
    const isMachineBound = samples.some((s) => {
      const pair = [s, s.openLoop!.direct];
      return pair.some((run) => (run.load.lagUs?.p99 ?? 0) >= run.load.latencyUs.p99 / 2 || requestsPerSecond(run) < 0.97 * s.openLoop!.rate);
    });
    lines.push(
      `| ${target}${isMachineBound ? ' ⚠' : ''} | ${spread(samples.map((s) => s.openLoop!.maxRps))} | ${spread(samples.map((s) => s.openLoop!.rate))} | ${spread(samples.map(requestsPerSecond))} | ${latency((s) => s.load.latencyUs.p50)} | ${latency((s) => s.load.latencyUs.p99)} | ${latency((s) => s.load.latencyUs.p999)} | ${directCell} | ${added((s) => s.load.latencyUs.p50)} | ${added((s) => s.load.latencyUs.p99)} | ${added((s) => s.load.latencyUs.p999)} | ${lag(samples)} / ${lag(direct)} | ${spread(samples.map(cpuPerRequest))} | ${spread(samples.map(generatorPerRequest))} | ${samples.map((s) => errorCount(s) + errorCount(s.openLoop!.direct)).reduce((a, b) => a + b, 0)} |`,
    );
  }
  if (lines.some((line) => line.includes(' ⚠ |'))) lines.push('', '⚠: in at least one round the generator noticed requests late by half the p99 or more, or did not reach the offered rate: that row\'s latency is the machine\'s more than the target\'s.');
  return lines.join('\n');
}
