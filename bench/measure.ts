// One measured run of a workload against a target, and what it cost everyone on the machine: the
// target's process tree (CPU, system share, peak RSS, syscalls), the load generator (the runner's
// reaped-children CPU across the run), the fake coordinators, and the machine as a whole (so the
// report can say how much of the 2 cores the rest of the world took).
import { cpuMicros, machineBusyMicros, peakRssBytes, processTree, reapedChildrenCpuMicros, resetPeakRss, syscalls } from './process-stats.ts';
import type { Target, TargetName } from './targets.ts';
import { runLoad, type LoadFiles, type LoadOptions, type LoadResult, type Workload } from './workloads.ts';

export interface Sample {
  readonly workload: Workload;
  readonly target: TargetName;
  readonly round: number;
  readonly load: LoadResult;
  /** CPU of the target's process tree over the run; undefined for `direct`. */
  readonly cpuUs: number | undefined;
  /** Share of cpuUs spent in the kernel (stime). */
  readonly systemShare: number | undefined;
  readonly peakRssBytes: number | undefined;
  /** read- and write-family system calls of the target per request; undefined for `direct`. */
  readonly readsPerRequest: number | undefined;
  readonly writesPerRequest: number | undefined;
  /** CPU of the load generator process over its run (wrk or one of the Node generators). */
  readonly loadGeneratorCpuUs: number;
  /** CPU of the fake coordinators over the run (`direct`: that is the whole server side). */
  readonly coordinatorsCpuUs: number;
  /** Busy CPU time of the whole machine over the run (every process, the hypervisor's steal too). */
  readonly machineBusyUs: number;
  /** Wall time of the run as the runner saw it (for the cores-busy figures). */
  readonly wallUs: number;
  /** e-open only: the closed-loop maximum just before, and the direct run at the same rate. */
  readonly openLoop?: { readonly maxRps: number; readonly rate: number; readonly direct: Sample };
}

export interface MeasureContext {
  readonly files: LoadFiles;
  readonly durationSec: number;
  /** The fake coordinators' pid. */
  readonly coordinatorsPid: number;
  readonly log: (message: string) => void;
}

export async function measureRun(workload: Workload, target: Target, round: number, context: MeasureContext, options: LoadOptions = {}): Promise<Sample> {
  const pids = target.pid === undefined ? [] : processTree(target.pid);
  const coordinatorPids = processTree(context.coordinatorsPid);
  resetPeakRss(pids);
  const cpuBefore = cpuMicros(pids);
  const syscallsBefore = syscalls(pids);
  const coordinatorsBefore = cpuMicros(coordinatorPids);
  const generatorBefore = reapedChildrenCpuMicros();
  const machineBefore = machineBusyMicros();
  const wallBefore = performance.now();
  const load = await runLoad(workload, target, context.durationSec, context.files, options);
  const wallUs = (performance.now() - wallBefore) * 1000;
  const machineBusyUs = machineBusyMicros() - machineBefore;
  const loadGeneratorCpuUs = reapedChildrenCpuMicros() - generatorBefore;
  const coordinatorsAfter = cpuMicros(coordinatorPids);
  const cpuAfter = cpuMicros(pids);
  const syscallsAfter = syscalls(pids);
  const cpuUs = target.pid === undefined ? undefined : cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system;
  const systemShare = cpuUs === undefined || cpuUs === 0 ? undefined : (cpuAfter.system - cpuBefore.system) / cpuUs;
  const perRequest = (n: number) => (target.pid === undefined || load.requests === 0 ? undefined : n / load.requests);
  const peak = target.pid === undefined ? undefined : peakRssBytes(pids);
  const failure = target.failure();
  if (failure !== undefined) throw new Error(failure);
  const sample: Sample = {
    workload,
    target: target.name,
    round,
    load,
    cpuUs,
    systemShare,
    peakRssBytes: peak,
    readsPerRequest: perRequest(syscallsAfter.reads - syscallsBefore.reads),
    writesPerRequest: perRequest(syscallsAfter.writes - syscallsBefore.writes),
    loadGeneratorCpuUs,
    coordinatorsCpuUs: coordinatorsAfter.user + coordinatorsAfter.system - coordinatorsBefore.user - coordinatorsBefore.system,
    machineBusyUs,
    wallUs,
  };
  context.log(progressLine(sample));
  const errors = Object.values(load.errors).reduce((a, b) => a + b, 0);
  if (load.requests === 0 || errors > 0) {
    const stderr = target.diagnostics();
    if (stderr !== '') context.log(`  ${target.name} stderr: ${stderr.slice(-1500)}`);
  }
  return sample;
}

/**
 * e-open: the target's closed-loop maximum (a short wrk run with a-plain's settings, which also
 * warms it up), then the open loop at `share` of it (or at `fixedRate`), then direct at the same
 * rate. Direct goes first in even rounds, so a drift in the machine's load does not always favour
 * one side of the difference.
 */
export async function measureOpenLoop(workload: Workload, probe: Workload, target: Target, direct: Target, round: number, context: MeasureContext, probeSec: number, share: number, fixedRate: number | undefined): Promise<Sample> {
  const max = await runLoad(probe, target, probeSec, context.files);
  const maxRps = max.requests / (max.durationUs / 1e6);
  const rate = fixedRate ?? Math.max(100, Math.round(maxRps * share));
  context.log(`round ${round} ${workload.id.padEnd(7)} ${target.name.padEnd(11)} closed-loop maximum ${maxRps.toFixed(0)} req/s → open loop at ${rate} req/s`);
  const isDirectFirst = round % 2 === 0;
  const directFirst = isDirectFirst ? await measureRun(workload, direct, round, context, { rate }) : undefined;
  const sample = await measureRun(workload, target, round, context, { rate });
  const directSample = directFirst ?? (await measureRun(workload, direct, round, context, { rate }));
  return { ...sample, openLoop: { maxRps, rate, direct: directSample } };
}

function progressLine(s: Sample): string {
  const load = s.load;
  const rps = load.requests / (load.durationUs / 1e6);
  const errors = Object.values(load.errors).reduce((a, b) => a + b, 0);
  const perRequest = (us: number) => (load.requests === 0 ? '—' : (us / load.requests).toFixed(1));
  const parts = [
    `round ${s.round} ${s.workload.id.padEnd(7)} ${s.target.padEnd(11)} ${rps.toFixed(0).padStart(7)} req/s`,
    `p50 ${(load.latencyUs.p50 / 1000).toFixed(2)} ms  p99 ${(load.latencyUs.p99 / 1000).toFixed(2)} ms`,
  ];
  if (load.lagUs !== undefined) parts.push(`generator lag p99 ${(load.lagUs.p99 / 1000).toFixed(2)} ms`);
  if (s.cpuUs !== undefined && load.requests > 0) parts.push(`${perRequest(s.cpuUs)} µs CPU/req (${((s.systemShare ?? 0) * 100).toFixed(0)}% sys)`);
  parts.push(`load gen ${perRequest(load.cpuUs ?? s.loadGeneratorCpuUs)} µs/req`, `coordinators ${perRequest(s.coordinatorsCpuUs)} µs/req`);
  if (s.peakRssBytes !== undefined) parts.push(`${(s.peakRssBytes / 1048576).toFixed(0)} MiB`);
  if (s.readsPerRequest !== undefined && s.writesPerRequest !== undefined) parts.push(`${s.readsPerRequest.toFixed(1)} reads + ${s.writesPerRequest.toFixed(1)} writes/req`);
  parts.push(`machine ${(s.machineBusyUs / s.wallUs).toFixed(2)} cores busy`);
  if (errors > 0) parts.push(`${errors} errors`);
  return parts.join('  ');
}
