// Where the memory of workload (d) goes: 1,000 pinned keep-alive TLS clients (wrk, the settings of
// bench/workloads.ts; --workload picks another), against one target at a time, with the target's
// process.memoryUsage(), V8 heap spaces and main-thread GC pauses sampled every 100 ms from inside
// it (a probe preloaded with --import through NODE_OPTIONS, plain JavaScript so that it loads no
// TypeScript stripper) next to VmHWM, RssAnon and RssFile from /proc, and the open TCP sockets.
// Prints, per target: at start-up, at the peak of RSS, at rest (the median sample of the second
// half of the run: the clients connected and thinking) and after one full collection (the live
// heap), a SUMMARY line, and GC pauses per 1,000 requests. "native-anon" is RssAnon minus V8's
// heapTotal: OpenSSL, Node's stream buffers, malloc's free lists. Loopback only; every run is
// bounded in time.
//
//   npm run build && node bench/memory-d.ts [--seconds N] [--workload ID] [--repeat N] [TARGET[:NODE_FLAGS[:ENV=VALUE,…]]…]
//   e.g. node bench/memory-d.ts node-https-js node-http proxy 'proxy-tuned:--max-semi-space-size=8' 'proxy-tuned::MALLOC_ARENA_MAX=2'
//
// node-https-js is node:https alone as plain JavaScript (bench/node-http.ts loads the TypeScript
// stripper: about 20 MiB). --repeat N loads the same process N times, as the benchmark's rounds do,
// and prints what it keeps after each (a full collection 1 s after the load). MEMD_TIMELINE=1
// prints RSS, heap and native memory every 0.5 s; MEMD_GC_AT_MS sets when the one full
// collection happens (ms after the target started).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Child, freePort, waitForPort } from './children.ts';
import { makeCertificates, startFakeCoordinators } from './fixtures.ts';
import { isSkipped, startTarget, type Target, type TargetName } from './targets.ts';
import { operationStatusCall } from './thrift-messages.ts';
import { runLoad, workloads } from './workloads.ts';

const probe = `
import { appendFileSync, readFileSync } from 'node:fs';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PerformanceObserver, constants } from 'node:perf_hooks';
// Main-thread GC pauses by kind, for the CPU side of a heap setting (minor: scavenges).
const gcTotals = { minorCount: 0, minorMs: 0, majorCount: 0, majorMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const isMinor = entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR;
    if (isMinor) { gcTotals.minorCount += 1; gcTotals.minorMs += entry.duration; } else { gcTotals.majorCount += 1; gcTotals.majorMs += entry.duration; }
  }
}).observe({ entryTypes: ['gc'] });
const out = process.env.MEM_PROBE_OUT + '.' + process.pid;
const kib = (status, field) => Number(new RegExp(field + ':\\\\s+(\\\\d+)').exec(status)?.[1] ?? NaN) * 1024;
let gcAt = Number(process.env.MEM_PROBE_GC_AT_MS ?? 0);
const t0 = Date.now();
function sample(label) {
  const m = process.memoryUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size]));
  appendFileSync(out, JSON.stringify({ at: Date.now(), label, ...gcTotals, sockets: process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length, rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers,
    hwm: kib(status, 'VmHWM'), anon: kib(status, 'RssAnon'), file: kib(status, 'RssFile'), newSpace: spaces.new_space ?? 0, oldSpace: spaces.old_space ?? 0, codeSpace: spaces.code_space ?? 0, largeObject: spaces.large_object_space ?? 0 }) + '\\n');
}
// SIGUSR2 (sent by the runner between repeated loads): a full collection now, and a sample of it.
process.on('SIGUSR2', () => {
  setFlagsFromString('--expose-gc');
  runInNewContext('gc')();
  sample('usr2-gc');
});
setInterval(() => {
  sample();
  if (gcAt > 0 && Date.now() - t0 >= gcAt) {
    gcAt = 0;
    setFlagsFromString('--expose-gc');
    runInNewContext('gc')();
    sample('after-gc');
  }
}, 100).unref();
`;

const { values, positionals } = parseArgs({ allowPositionals: true, options: { seconds: { type: 'string', default: '8' }, workload: { type: 'string', default: 'd' }, repeat: { type: 'string', default: '1' } } });
const seconds = Number(values.seconds);
const directory = mkdtempSync(join(tmpdir(), 'memory-d-'));
const children: Child[] = [];
/** The target being measured, stopped in `finally` also when a run fails. */
let running: Target | undefined;
try {
  const certificateDirectory = join(directory, 'certs');
  const certificates = makeCertificates(certificateDirectory);
  const files = { bodyFile: join(directory, 'request.bin'), luaFile: 'bench/wrk/hs2-post.lua' };
  writeFileSync(files.bodyFile, operationStatusCall(300, randomBytes(16)));
  const probeFile = join(directory, 'probe.mjs');
  writeFileSync(probeFile, probe);

  const fake = await startFakeCoordinators(certificateDirectory);
  children.push(fake.child);
  const coordinators = fake.ports;
  const workload = workloads.find((w) => w.id === values.workload)!;

  for (const spec of positionals.length > 0 ? positionals : ['node-http', 'proxy']) {
    // TARGET[:NODE_FLAGS[:ENV=VALUE,…]]
    const [name, flags, environment] = spec.split(':') as [TargetName, string | undefined, string | undefined];
    const extraEnvironment = Object.fromEntries((environment ?? '').split(',').filter(Boolean).map((pair) => pair.split('=') as [string, string]));
    Object.assign(process.env, extraEnvironment);
    const out = join(directory, `samples-${name}-${children.length}`);
    process.env.NODE_OPTIONS = `--import=${probeFile}`;
    process.env.MEM_PROBE_OUT = out;
    // One full collection near the end of the run, clients still connected: the live heap.
    process.env.MEM_PROBE_GC_AT_MS = process.env.MEMD_GC_AT_MS ?? String(1500 + seconds * 850);
    if (workload.id !== 'd') process.env.MEM_PROBE_GC_AT_MS = '0';
    const target = name === ('node-https-js' as TargetName) ? await startBareHttps(certificates, flags?.split(' ').filter(Boolean) ?? []) : await startTarget(name, coordinators, certificates, directory, { tunedNodeOptions: flags?.split(' ').filter(Boolean) ?? [] });
    delete process.env.NODE_OPTIONS;
    for (const key of Object.keys(extraEnvironment)) delete process.env[key];
    if (isSkipped(target)) throw new Error(target.skipped);
    running = target;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // --repeat N: N loads one after another against the same process (as the benchmark's rounds
    // are), each followed by 1 s of rest and a full collection: what a process keeps from a run.
    for (let run = 1; run < Number(values.repeat); run += 1) {
      const before = Date.now();
      const earlier = await runLoad(workload, target, seconds, files);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      process.kill(target.pid!, 'SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const lines = readFileSync(`${out}.${target.pid}`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
      const during = lines.filter((l) => l.at! >= before);
      const gcLine = lines.findLast((l) => (l as { label?: string }).label === 'usr2-gc')!;
      console.log(`REPEAT ${spec} run ${run}: ${earlier.requests} requests, peak rss ${(Math.max(...during.map((l) => l.rss!)) / 2 ** 20).toFixed(1)} MiB; 1 s after it, full GC: rss ${(gcLine.rss! / 2 ** 20).toFixed(1)} anon ${(gcLine.anon! / 2 ** 20).toFixed(1)} heapTotal ${(gcLine.heapTotal! / 2 ** 20).toFixed(1)} live ${(gcLine.heapUsed! / 2 ** 20).toFixed(1)} native-anon ${((gcLine.anon! - gcLine.heapTotal!) / 2 ** 20).toFixed(1)} sockets ${gcLine.sockets}`);
    }
    const startedAt = Date.now();
    const result = await runLoad(workload, target, seconds, files);
    const endedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await target.stop();
    running = undefined;
    const samples = readFileSync(`${out}.${target.pid}`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    report(spec, samples, startedAt, endedAt, result.requests, result.errors);
    console.log(JSON.stringify(result));
  }
} finally {
  await running?.stop();
  for (const child of children) await child.stop();
  rmSync(directory, { recursive: true, force: true });
}

/**
 * `node-https-js`: bench/node-http.ts's HTTPS half as plain JavaScript run with -e, so without the
 * TypeScript stripper that bench/node-http.ts loads (its WebAssembly and heap, about 20 MiB): the
 * floor of node:https itself. Answers every request 200 with 512 bytes once its body is read.
 */
async function startBareHttps(certificates: { certFile: string; keyFile: string }, nodeFlags: readonly string[]): Promise<Target> {
  const port = await freePort();
  const code = `
    import { readFileSync } from 'node:fs';
    import { createServer } from 'node:https';
    const body = Buffer.alloc(512, 0x61);
    createServer({ keepAliveTimeout: 120_000, requestTimeout: 0, noDelay: true, cert: readFileSync(${JSON.stringify(certificates.certFile)}), key: readFileSync(${JSON.stringify(certificates.keyFile)}) }, (req, res) => {
      req.on('end', () => { res.writeHead(200, { 'content-type': 'application/x-thrift', 'content-length': body.length }); res.end(body); });
      req.resume();
    }).listen(${port}, '127.0.0.1');
    process.on('SIGTERM', () => process.exit(0));`;
  const child = new Child('node-https-js', process.execPath, [...nodeFlags, '--input-type=module', '-e', code]);
  children.push(child);
  await waitForPort(port, child);
  return { name: 'node-http', httpsPort: port, httpPort: undefined, tcpPort: undefined, cookie: 'a=b', pid: child.pid, failure: () => undefined, diagnostics: () => child.stderrTail, stop: () => child.stop() };
}

function report(spec: string, samples: Record<string, number>[], startedAt: number, endedAt: number, requests: number, errors: unknown): void {
  const mib = (n: number | undefined) => (n === undefined ? '—' : n < 100_000 ? String(n) : (n / 2 ** 20).toFixed(1));
  const start = samples[0]!;
  const peak = samples.reduce((a, b) => (b.rss! > a.rss! ? b : a));
  // At rest: the second half of the run, every client connected and thinking (median by RSS).
  const restSamples = samples.filter((s) => s.at! >= (startedAt + endedAt) / 2 && s.at! < endedAt - 300 && s.label === undefined).toSorted((a, b) => a.rss! - b.rss!);
  const rest = restSamples[Math.floor(restSamples.length / 2)] ?? start;
  const columns = ['sockets', 'rss', 'hwm', 'anon', 'file', 'heapTotal', 'heapUsed', 'newSpace', 'oldSpace', 'external', 'arrayBuffers'] as const;
  const afterGc = samples.find((s) => (s as { label?: string }).label === 'after-gc');
  const restSockets = Math.min(...restSamples.map((s) => s.sockets!));
  const first = samples.find((s) => s.at! >= startedAt) ?? start;
  const last = samples.findLast((s) => s.at! <= endedAt) ?? samples.at(-1)!;
  const perRequest = (field: string) => ((last[field]! - first[field]!) / Math.max(1, requests));
  console.log(`GC ${spec.padEnd(44)} per 1000 requests: ${(perRequest('minorCount') * 1000).toFixed(2)} scavenges, ${(perRequest('minorMs') * 1000).toFixed(1)} ms; ${(perRequest('majorCount') * 1000).toFixed(3)} major, ${(perRequest('majorMs') * 1000).toFixed(1)} ms  (${requests} requests)`);
  console.log(`SUMMARY ${spec.padEnd(44)} peak ${mib(samples.at(-1)!.hwm)}  rest rss ${mib(rest.rss)} anon ${mib(rest.anon)} heapTotal ${mib(rest.heapTotal)} new ${mib(rest.newSpace)} old ${mib(rest.oldSpace)} native-anon ${mib(rest.anon! - rest.heapTotal!)}  live ${mib(afterGc?.heapUsed)}  sockets(min at rest) ${restSockets}  requests ${requests}`);
  console.log(`\n${spec}: ${requests} requests, errors ${JSON.stringify(errors)}; peak VmHWM ${mib(samples.at(-1)!.hwm)} MiB`);
  if (process.env.MEMD_TIMELINE === '1') {
    const line = samples.filter((s, i) => s.at! >= startedAt - 500 && i % 5 === 0).map((s) => `${((s.at! - startedAt) / 1000).toFixed(1)}s ${s.sockets} sockets rss ${mib(s.rss)} heap ${mib(s.heapTotal)} native-anon ${mib(s.anon! - s.heapTotal!)}`);
    console.log(`TIMELINE ${spec}\n  ${line.join('\n  ')}`);
  }
  console.log(`| when | s after the load started | ${columns.join(' | ')} | rss − heapTotal |`);
  console.log(`|---|--:|${columns.map(() => '--:').join('|')}|--:|`);
  for (const [when, s] of [['start-up', start], ['peak RSS', peak], ['at rest', rest], ['after a full GC', afterGc ?? start]] as const) {
    console.log(`| ${when} | ${((s.at! - startedAt) / 1000).toFixed(1)} | ${columns.map((c) => mib(s[c])).join(' | ')} | ${mib(s.rss! - s.heapTotal!)} |`);
  }
}
