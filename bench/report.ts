// Turns the samples of a run into bench/results.md: a summary, where the cost goes (Node's floor
// and the proxy's own share), workers against HAProxy threads, the open-loop latency the proxy
// adds, the per-request checks, one table per workload, and the notes on method.
import type { Sample } from './measure.ts';
import { cpuPerRequest, floorTable, format, median, medianOf, openLoopTable, samplesOf, summaryTable, workersTable, workloadTable } from './report-tables.ts';
import type { TargetName } from './targets.ts';
import { openLoopShare, type Workload } from './workloads.ts';

export interface RunInfo {
  readonly date: string;
  readonly machine: string;
  readonly versions: string;
  readonly settings: string;
  readonly command: string;
  /** The commit measured (with "+ uncommitted changes" when the tree was dirty). */
  readonly commit: string;
  readonly isQuick: boolean;
}

/** A target that could not run against this build (proxy-w1/-w2 before server.workers exists). */
export interface Skip {
  readonly target: TargetName;
  readonly reason: string;
}

/** bench/request-checks.ts --json. */
export interface CheckResults {
  readonly node: string;
  readonly bodyBytes: number;
  readonly timings: readonly { readonly name: string; readonly what: string; readonly ns: number; readonly minNs: number; readonly maxNs: number }[];
}

function checksTable(checks: CheckResults, all: readonly Sample[]): string {
  const aPlain = all.filter((s) => s.workload.id === 'a-plain' && s.target === 'proxy');
  const requestUs = medianOf(aPlain, cpuPerRequest);
  const share = (ns: number) => (requestUs === undefined ? '—' : `${((ns / 1000 / requestUs) * 100).toFixed(1)} %`);
  const total = checks.timings.reduce((sum, t) => sum + t.ns, 0);
  const rows = checks.timings.map((t) => `| ${t.name} | ${format(t.ns)} (${format(t.minNs)}..${format(t.maxNs)}) | ${share(t.ns)} | ${t.what} |`);
  return [
    `Median ns per request over rounds (min..max), on the benchmark's own ${checks.bodyBytes} B GetOperationStatus and wrk's headers, ${checks.node}. ` +
      (requestUs === undefined
        ? 'Run a-plain with the proxy target in the same run for the share of a whole request.'
        : `Share: of the proxy's whole CPU per request in a-plain in this run (${format(requestUs)} µs, the median).`),
    '',
    '| step | ns/request | share of a small RPC | what |',
    '|---|--:|--:|---|',
    ...rows,
    `| **sum** | ${format(total)} | ${share(total)} | |`,
  ].join('\n');
}

/** Plain sentences from the figures, so a reader does not have to do the arithmetic. */
function findings(workloads: readonly Workload[], all: readonly Sample[]): string[] {
  const lines: string[] = [];
  const cpu = (workload: Workload, target: TargetName) => medianOf(samplesOf(all, workload, target), cpuPerRequest);
  for (const workload of workloads) {
    const proxy = cpu(workload, 'proxy');
    const haproxy = cpu(workload, 'haproxy');
    const floorName: TargetName = workload.driver === 'binary' ? 'tcp-pipe' : 'undici-pass';
    const floor = cpu(workload, floorName);
    if (proxy === undefined) continue;
    const parts = [`${workload.id}: impala-ha-proxy ${format(proxy)} µs CPU/req`];
    if (haproxy !== undefined && haproxy > 0) parts.push(`${format(proxy / haproxy)}× HAProxy's ${format(haproxy)} µs`);
    if (floor !== undefined) parts.push(`${floorName} (Node's floor) ${format(floor)} µs, so proxy − floor = ${format(proxy - floor)} µs (${Math.round(((proxy - floor) / proxy) * 100)} % of the proxy's CPU)`);
    lines.push(`- ${parts.join('; ')}.`);
  }
  return lines;
}

export function renderResults(info: RunInfo, workloads: readonly Workload[], targets: readonly TargetName[], all: readonly Sample[], skips: readonly Skip[], checks: CheckResults | undefined): string {
  const measured = workloads.filter((w) => all.some((s) => s.workload === w));
  const closedLoop = measured.filter((w) => w.driver !== 'open-loop');
  const openLoop = measured.filter((w) => w.driver === 'open-loop');
  const floor = floorTable(closedLoop, all);
  const workers = workersTable(closedLoop, all);
  const workerSkips = skips.filter((s) => s.target === 'proxy-w1' || s.target === 'proxy-w2');
  const sections: string[] = [];
  if (info.isQuick) sections.push('> **--quick**: one round of 1 s, no warm-up. A smoke test that every part works, **not a measurement**.\n');
  if (skips.length > 0) sections.push(`**Skipped targets:**\n\n${skips.map((s) => `- \`${s.target}\`: ${s.reason}`).join('\n')}\n`);
  sections.push(`## Summary\n\nMedians per cell: req/s · the target's CPU µs per request · p99 latency.\n\n${summaryTable(closedLoop, targets, all)}`);
  const found = findings(closedLoop, all);
  if (found.length > 0) sections.push(`In words (medians):\n\n${found.join('\n')}`);
  if (floor !== undefined) {
    sections.push(`## Where the CPU of a request goes\n\nCPU µs per request. The floor is the least a Node proxy built like impala-ha-proxy does: for hs2-http, node:http + one undici Pool streaming both ways (\`undici-pass\`); for binary HS2, a node:net pipe (\`tcp-pipe\`). \`node-http\` is a bare server that answers itself: the client side alone. "The proxy's own" is proxy − floor within each round: routing, cookie, checks, replay buffer, accounting, logging.\n\n${floor}`);
  }
  if (workers !== undefined || workerSkips.length > 0) {
    const skipped = workerSkips.map((s) => `\n\n**\`${s.target}\` did not run:** ${s.reason}. \`proxy\` is the one-process figure.`).join('');
    sections.push(
      `## Workers and threads${skipped}\n\n\`proxy\` is one process (server.workers 1, the default; \`proxy-w1\` sets it explicitly), \`proxy-w2\` runs with server.workers 2 (a primary and two workers; the primary's CPU counts too), \`haproxy\`/\`haproxy-2t\` with nbthread 1/2, unpinned. The machine has the cores in the Machine line, and the load generator and the fake coordinators run on the same cores: the cores column says how much each took. When target + load gen + coordinators + rest is near the core count, the run was bound by the machine, not by the target, and the second worker or thread can only show up as lower CPU headroom, not as more req/s.\n\n${workers ?? ''}`,
    );
  }
  if (openLoop.length > 0) {
    sections.push(`## Open loop: the latency a proxy adds\n\n${openLoop.map((w) => openLoopTable(w, targets, all)).join('\n\n')}`);
  }
  if (checks !== undefined) sections.push(`## CPU cost of the per-request checks\n\n${checksTable(checks, all)}`);
  sections.push(
    `## Per workload\n\nValues are the median over rounds with (min..max). Ratios are computed within each round and then summarised the same way; "HAProxy peer" is HAProxy with as many threads as the target has workers (haproxy-2t for proxy-w2, haproxy otherwise).\n\n${closedLoop.map((w) => workloadTable(w, targets, all)).join('\n\n')}`,
  );

  return `# Benchmark results

Generated by \`${info.command}\` (bench/run.ts) on ${info.date}, at commit ${info.commit}. Reproduce: \`npm run bench\`; \`npm run bench -- --help\`
lists the workloads and targets, bench/README.md explains the method.

**Machine:** ${info.machine}

**Versions:** ${info.versions}

**Settings:** ${info.settings}

${sections.join('\n\n')}

## Notes

${notes(workloads, all).join('\n')}
`;
}

function notes(workloads: readonly Workload[], all: readonly Sample[]): string[] {
  const generatorShare = all.length === 0 ? undefined : median(all.map((s) => s.loadGeneratorCpuUs / s.wallUs));
  return [
    `- Columns: CPU µs/req is utime+stime of the target's process tree (every worker, every thread) over the run divided by the requests completed; CPU µs/MB divides by the reply bytes received instead. Peak RSS is VmHWM, reset before each run. Syscalls/req are the read- and write-family calls of /proc/<pid>/io (syscr, syscw; HAProxy uses recv/send, which are not counted there). % sys is the kernel's share of the CPU time. MB/s is reply bytes received by the load generator (10^6 bytes per second).`,
    `- The load generator's CPU per request is the Node generators' own (connect-load.ts, open-loop.ts, tcp-load.ts: process.cpuUsage() over the measured time, without Node's start-up) or wrk's whole process (what the runner's cutime+cstime grew by across the run: the kernel adds a child's CPU there when it is reaped). The cores columns are whole processes over the run's wall time, start-up included: the target and the coordinators from /proc, the generator from cutime+cstime; "rest" is the machine's busy time (/proc/stat, steal included) minus all of those: the runner itself and whatever else ran on the machine. A target cannot use a core the load generator is using: ${generatorShare === undefined ? '' : `the load generator took a median ${format(generatorShare)} cores in this run, `}so absolute req/s are a property of this machine and its load generator, while CPU µs/req of the target is the figure that carries over to a bigger machine.`,
    '- Targets: `direct` is the load generator straight at a fake coordinator (one Node process, so it is a ceiling for this machine, not for a real impalad); `node-http`, `undici-pass` and `tcp-pipe` are Node\'s floor (bench/node-http.ts, bench/undici-pass.ts, bench/tcp-pipe.ts); `naive` is node:http with a keep-alive Agent and pipes (bench/naive-proxy.ts); `proxy` is impala-ha-proxy with log.level warn; `proxy-log` is the product default, an access line per request (written to /dev/null); `proxy-w1`/`proxy-w2` set server.workers; `haproxy`/`haproxy-2t` are HAProxy with the equivalent configuration and nbthread 1/2 (bench/targets.ts).',
    '- Workload (b) uses bench/connect-load.ts, not wrk: wrk with `Connection: close` does open a connection per request, but its OpenSSL client resumed about half of its TLS sessions in a check against the fake coordinator\'s counters, and impyla does a full handshake every time. Its rate is bounded by the Node client\'s own handshake cost; compare CPU µs/req.',
    '- Workload (d) opens 1,000 TLS connections at the start of every run; that handshake cost is in its CPU µs/req. Its request rate is set by the think time, so compare latency, CPU and memory.',
    `- Workload (e) is open loop (bench/open-loop.ts): requests are due at fixed intervals, at ${openLoopShare * 100} % of the target's closed-loop maximum just measured (so each target runs at the same relative load, and direct runs at that same absolute rate right after or before it), and each latency is counted from when the request was due, so a stall is charged to every request due during it (no coordinated omission). "Added" is target − direct per round; a percentile of a difference is not the difference of percentiles, but both runs see the same schedule, the same generator and the same coordinators, so what differs is the proxy. The generator lag (how late the generator noticed that a request was due: its own event loop, or a core it did not get; waiting for a busy connection is not in it) shows when the generator or the machine, not the target, fell behind: a lag p99 near the latency p99 means the figure is the machine's, not the target's.`,
    '- Workloads (t) are binary HS2 over TCP (bench/tcp-load.ts): NOSASL, Thrift messages back to back on long-lived connections, one call at a time per connection; each call is a fixed 300 B so the fake coordinator needs no Thrift walk, and its seqid names the reply size. impala-ha-proxy\'s TCP listener and HAProxy `mode tcp` (leastconn, an HTTP health check on each coordinator\'s web UI port, on-marked-down shutdown-sessions, 1 h idle timeouts) move bytes without reading them, so per MB and per request they should be close: the floor table says how close Node\'s own pipe is.',
    '- The per-request checks (f) are a micro benchmark (bench/request-checks.ts): each step in a hot loop on one input, so a lower bound of its cost amid a real request; bench/thrift-walk.ts has the Thrift walk on other message types and sizes.',
    '- Peak RSS: every target lives through its whole workload, and VmHWM can only be reset to the current RSS, so a figure includes what the process kept from earlier rounds (V8 does not hand its heap back quickly; HAProxy keeps its buffer pools). The progress lines show each run\'s figure in order.',
    `- The machine was shared with other work (see the load average above and the "rest" cores): absolute req/s move a lot between rounds; the within-round ratios and CPU µs/req are the steadier figures.`,
  ];
}
