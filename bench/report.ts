// Turns the samples of a run into bench/results.md: medians with min..max over rounds, and ratios
// to `direct` and to HAProxy taken within the same round (so a noisy round moves both sides).
import type { TargetName } from './targets.ts';
import type { LoadResult, Workload } from './workloads.ts';

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
}

export interface RunInfo {
  readonly date: string;
  readonly machine: string;
  readonly versions: string;
  readonly settings: string;
  readonly command: string;
  /** The commit measured (with "+ uncommitted changes" when the tree was dirty). */
  readonly commit: string;
}

const requestsPerSecond = (s: Sample) => s.load.requests / (s.load.durationUs / 1e6);
const megabytesPerSecond = (s: Sample) => s.load.bytes / s.load.durationUs; // bytes/µs = MB/s
const cpuPerRequest = (s: Sample) => (s.cpuUs === undefined || s.load.requests === 0 ? undefined : s.cpuUs / s.load.requests);
const errorCount = (s: Sample) => Object.values(s.load.errors).reduce((sum, n) => sum + n, 0);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function format(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** "median (min..max)", or just the value for a single round. */
function spread(values: readonly (number | undefined)[], unit = ''): string {
  const defined = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (defined.length === 0) return '—';
  const m = `${format(median(defined))}${unit}`;
  if (defined.length === 1) return m;
  return `${m} (${format(Math.min(...defined))}..${format(Math.max(...defined))})`;
}

function ratios(samples: readonly Sample[], all: readonly Sample[], reference: TargetName, metric: (s: Sample) => number | undefined): (number | undefined)[] {
  return samples.map((sample) => {
    const peer = all.find((s) => s.workload === sample.workload && s.round === sample.round && s.target === reference);
    const mine = metric(sample);
    const theirs = peer === undefined ? undefined : metric(peer);
    return mine === undefined || theirs === undefined || theirs === 0 ? undefined : mine / theirs;
  });
}

function percent(samples: readonly Sample[]): string {
  const shares = samples.map((s) => s.systemShare).filter((v): v is number => v !== undefined);
  return shares.length === 0 ? '—' : `${Math.round(median(shares) * 100)}%`;
}

function syscallCell(samples: readonly Sample[]): string {
  if (samples[0]?.target === 'haproxy') return 'n/a';
  const reads = samples.map((s) => s.readsPerRequest).filter((v): v is number => v !== undefined);
  const writes = samples.map((s) => s.writesPerRequest).filter((v): v is number => v !== undefined);
  return reads.length === 0 || writes.length === 0 ? '—' : `${format(median(reads))} + ${format(median(writes))}`;
}

const header = '| target | req/s | p50 ms | p99 ms | MB/s | CPU µs/req | % sys | peak RSS MiB | syscalls/req (read+write) | req/s ÷ direct | req/s ÷ HAProxy | CPU/req ÷ HAProxy | errors |';
const separator = '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|';

export function workloadTable(workload: Workload, targets: readonly TargetName[], all: readonly Sample[]): string {
  const rows = targets.flatMap((target) => {
    const samples = all.filter((s) => s.workload === workload && s.target === target);
    if (samples.length === 0) return [];
    return [
      `| ${target} | ${spread(samples.map(requestsPerSecond))} | ${spread(samples.map((s) => s.load.latencyUs.p50 / 1000))} | ${spread(samples.map((s) => s.load.latencyUs.p99 / 1000))} | ${spread(samples.map(megabytesPerSecond))} | ${spread(samples.map(cpuPerRequest))} | ${percent(samples)} | ${spread(samples.map((s) => (s.peakRssBytes === undefined ? undefined : s.peakRssBytes / 1048576)))} | ${syscallCell(samples)} | ${target === 'direct' ? '1' : spread(ratios(samples, all, 'direct', requestsPerSecond))} | ${target === 'haproxy' ? '1' : spread(ratios(samples, all, 'haproxy', requestsPerSecond))} | ${target === 'haproxy' ? '1' : spread(ratios(samples, all, 'haproxy', cpuPerRequest))} | ${samples.map(errorCount).reduce((a, b) => a + b, 0)} |`,
    ];
  });
  return [`### ${workload.title}`, '', header, separator, ...rows].join('\n');
}

/** One line per workload, one cell per target: median req/s · CPU µs/req · p99 ms. */
export function summaryTable(workloads: readonly Workload[], targets: readonly TargetName[], all: readonly Sample[]): string {
  const lines = [`| workload | ${targets.join(' | ')} |`, `|---|${targets.map(() => '--:').join('|')}|`];
  for (const workload of workloads) {
    const cells = targets.map((target) => {
      const samples = all.filter((s) => s.workload === workload && s.target === target);
      if (samples.length === 0) return '—';
      const cpu = samples.map(cpuPerRequest).filter((v): v is number => v !== undefined);
      const rps = format(median(samples.map(requestsPerSecond)));
      const p99 = format(median(samples.map((s) => s.load.latencyUs.p99 / 1000)));
      return `${rps} · ${cpu.length === 0 ? '—' : `${format(median(cpu))} µs`} · ${p99} ms`;
    });
    if (cells.every((cell) => cell === '—')) continue;
    lines.push(`| ${workload.id} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function renderResults(info: RunInfo, workloads: readonly Workload[], targets: readonly TargetName[], all: readonly Sample[]): string {
  const tables = workloads.filter((w) => all.some((s) => s.workload === w)).map((w) => workloadTable(w, targets, all));
  return `# Benchmark results

Generated by \`${info.command}\` (bench/run.ts) on ${info.date}, at commit ${info.commit}. Reproduce: \`npm run bench\`; see
bench/run.ts for what each workload and target is.

**Machine:** ${info.machine}

**Versions:** ${info.versions}

**Settings:** ${info.settings}

## Summary

Medians per cell: req/s · the target's CPU µs per request · p99 latency.

${summaryTable(workloads, targets, all)}

## Per workload

Values are the median over rounds with (min..max). Ratios are computed within each round and
then summarised the same way. CPU µs/req is utime+stime of the target's process tree over the run
divided by the requests completed; peak RSS is VmHWM, reset before each run; syscalls/req are
the read- and write-family calls of /proc/<pid>/io (syscr, syscw) per request (HAProxy uses
recv/send, which are not counted there); % sys is the kernel's share (stime) of the CPU time. MB/s is response
bytes received by the load generator (10^6 bytes per second).

${tables.join('\n\n')}

## Notes

- Targets: \`direct\` is the load generator straight at a fake coordinator (one Node process,
  so it is a ceiling for this machine, not for a real impalad); \`naive\` is node:http with a
  keep-alive Agent and pipes (bench/naive-proxy.ts); \`proxy\` is impala-ha-proxy with
  log.level warn; \`proxy-log\` is the product default, an access line per request (written to
  /dev/null); \`haproxy\` is HAProxy with the equivalent configuration (bench/targets.ts).
- Workload (b) uses bench/connect-load.ts, not wrk: wrk with \`Connection: close\` does open a
  connection per request, but its OpenSSL client resumed about half of its TLS sessions in a
  check against the fake coordinator's counters, and impyla does a full handshake every time.
  Its rate is bounded by the Node client's own handshake cost; compare CPU µs/req.
- Workload (d) opens 1,000 TLS connections at the start of every run; that handshake cost is in
  its CPU µs/req. Its request rate is set by the think time, so compare latency, CPU and memory.
- Peak RSS: every target lives through the whole run, and VmHWM can only be reset to the
  current RSS, so a workload's figure includes what the process kept from earlier ones (V8 does
  not hand its heap back quickly; HAProxy keeps its buffer pools). The run's progress lines show
  each run's figure in order.
- wrk, the fake coordinators and the target share the machine's cores, and the machine was shared
  with other work (see the load average above): absolute req/s move a lot between rounds; the
  within-round ratios and CPU µs/req are the steadier figures.
`;
}
