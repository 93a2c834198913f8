// `npm run bench`: impala-ha-proxy against HAProxy, a naive Node proxy and no proxy at all, on
// loopback, in front of fake coordinators that answer instantly (bench/fake-coordinator.ts).
//
//   npm run bench -- [--quick] [--workloads a,c] [--targets proxy,haproxy] [--rounds N]
//                    [--duration SEC] [--out FILE] [--cpu-prof]
//                    [--tuned-node-options "--max-semi-space-size=64"]   (for the proxy-tuned target)
//
// Every process (fake coordinators, each target, each load generator) is separate, so CPU and
// memory are per target, and each workload gets fresh target processes. Targets are interleaved
// A B C / C B A … over several short rounds, and reported as medians with min..max; ratios are
// taken within a round. wrk and haproxy are installed from Debian when missing.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { sniffRequest } from '../src/hs2/sniff.ts';
import { Child } from './children.ts';
import { cpuMicros, peakRssBytes, processTree, resetPeakRss, syscalls } from './process-stats.ts';
import { renderResults, type Sample } from './report.ts';
import { defaultTargets, startTarget, targetNames, type Coordinators, type Target, type TargetName } from './targets.ts';
import { operationStatusCall } from './thrift-messages.ts';
import { runLoad, workloads, type Workload } from './workloads.ts';

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    workloads: { type: 'string' },
    targets: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    out: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'tuned-node-options': { type: 'string' },
  },
  strict: true,
});

const rounds = Number(options.rounds ?? (options.quick ? 1 : 5));
const durationSec = Number(options.duration ?? (options.quick ? 1 : 3));
// --quick is a smoke test (does every part work?), not a measurement: no warm-up.
const warmupSec = options.quick ? 0 : 1;
const selectedWorkloads = select(workloads, options.workloads, (w, id) => w.id === id || w.id.startsWith(`${id}-`));
const selectedTargets = options.targets === undefined ? defaultTargets : select(targetNames, options.targets, (t, id) => t === id);
const outFile = options.out ?? (options.quick || options.workloads || options.targets ? 'bench/out/results.md' : 'bench/results.md');

function select<T>(all: readonly T[], list: string | undefined, matches: (item: T, id: string) => boolean): T[] {
  if (list === undefined) return [...all];
  const ids = list.split(',').map((id) => id.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !all.some((item) => matches(item, id)));
  if (unknown.length > 0) throw new Error(`unknown: ${unknown.join(', ')}`);
  return all.filter((item) => ids.some((id) => matches(item, id)));
}

function ensureTool(command: string, debianPackage: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
  } catch {
    process.stderr.write(`${command} is missing: apt-get install -y ${debianPackage}\n`);
    execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${debianPackage}`], { stdio: 'inherit' });
  }
}

function firstLine(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
  } catch (error) {
    // `wrk -v` prints its version and exits 1.
    const output = `${(error as { stdout?: string }).stdout ?? ''}`;
    return output.split('\n')[0]!.trim() || 'unknown';
  }
}

async function startFakeCoordinators(certificateDirectory: string): Promise<{ child: Child; ports: Coordinators }> {
  const child = new Child('fake-coordinators', process.execPath, ['bench/fake-coordinator.ts', '2', join(certificateDirectory, 'coordinator.pem'), join(certificateDirectory, 'coordinator-key.pem')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.process.stdout! });
  const [line] = (await Promise.race([once(lines, 'line'), once(child.process, 'exit').then(() => { throw new Error(`fake coordinators exited: ${child.stderrTail}`); })])) as [string];
  lines.close();
  const ports = JSON.parse(line) as { plain: number[]; tls: number };
  return { child, ports };
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const isDirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'bench', 'package.json'], { encoding: 'utf8' }).trim() !== '';
    return isDirty ? `${commit} + uncommitted changes` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

async function main(): Promise<void> {
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isFinite(durationSec) || durationSec < 1) throw new Error('--rounds and --duration must be positive integers');
  ensureTool('wrk', 'wrk');
  if (selectedTargets.some((t) => t.startsWith('proxy'))) {
    // The proxy runs as installed, from dist/: build it from the sources being measured.
    execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  }
  if (selectedTargets.includes('haproxy')) ensureTool('haproxy', 'haproxy');

  const directory = mkdtempSync(join(tmpdir(), 'impala-bench-'));
  const children: { stop(): Promise<void> }[] = [];
  const cleanup = async () => {
    for (const child of children.reverse()) await child.stop();
    rmSync(directory, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const certificateDirectory = join(directory, 'certs');
    execFileSync('bash', ['certs/make-dev-certs.sh', certificateDirectory], { stdio: 'ignore' });
    const certificates = {
      certFile: join(certificateDirectory, 'proxy.pem'),
      keyFile: join(certificateDirectory, 'proxy-key.pem'),
      bundleFile: join(certificateDirectory, 'proxy-bundle.pem'),
    };
    writeFileSync(certificates.bundleFile, readFileSync(certificates.certFile, 'utf8') + readFileSync(certificates.keyFile, 'utf8'));

    const body = operationStatusCall(300, randomBytes(16));
    // The proxy routes on what it sniffs; a body it cannot read would measure the 400 path.
    const sniffed = sniffRequest(body, true);
    if (sniffed?.method !== 'GetOperationStatus' || sniffed.sessionKey === undefined) throw new Error('the benchmark request body does not sniff as a session-bound RPC');
    const files = { bodyFile: join(directory, 'request.bin'), luaFile: 'bench/wrk/hs2-post.lua' };
    writeFileSync(files.bodyFile, body);

    const fake = await startFakeCoordinators(certificateDirectory);
    children.push(fake.child);
    const startTargets = async (): Promise<Target[]> => {
      const started: Target[] = [];
      for (const name of selectedTargets) {
        const target = await startTarget(name, fake.ports, certificates, directory, {
          cpuProfileDirectory: options['cpu-prof'] ? 'bench/out' : undefined,
          tunedNodeOptions: options['tuned-node-options']?.split(' ').filter(Boolean) ?? [],
        });
        children.push(target);
        started.push(target);
      }
      return started;
    };
    const loadBefore = loadavg();
    log(`targets: ${selectedTargets.join(', ')}; workloads: ${selectedWorkloads.map((w) => w.id).join(', ')}; ${rounds} round(s) of ${durationSec} s`);

    const samples: Sample[] = [];
    for (const workload of selectedWorkloads) {
      // Fresh processes for each workload: what one workload left behind (a heap grown by 2 MiB
      // replies, say) must not count as the next one's memory.
      const targets = await startTargets();
      for (let round = 1; round <= rounds; round++) {
        const order = round % 2 === 1 ? targets : [...targets].reverse();
        for (const target of order) samples.push(await measure(workload, target, round, files));
      }
      for (const target of targets) {
        await target.stop();
        children.splice(children.indexOf(target), 1);
      }
    }

    const loadAfter = loadavg();
    const memoryGiB = (totalmem() / 2 ** 30).toFixed(1);
    const info = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      machine: `${availableParallelism()} CPUs (nproc), ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${memoryGiB} GiB RAM, Linux ${release()}; load average ${loadBefore[0]!.toFixed(2)} before, ${loadAfter[0]!.toFixed(2)} after (other work shared the machine)`,
      versions: `Node ${process.version}; ${firstLine('haproxy', ['-v'])}; ${firstLine('wrk', ['-v'])}; ${firstLine('openssl', ['version'])}`,
      settings: `${rounds} round(s) × ${durationSec} s per workload and target, ${warmupSec > 0 ? `${warmupSec} s warm-up per pair in round 1` : 'no warm-up (--quick)'}; wrk -t1 (one thread); impala-ha-proxy with log.level warn and log.access at its default (true), so access lines are built but not written (the \`proxy-log\` target writes them, at info, to /dev/null); upstream plain HTTP to 2 fake coordinators, TLS 1.3 (ECDSA P-256) at the front; HAProxy nbthread 1, no logging, maxconn 16 per coordinator like upstream.connectionsPerCoordinator${options['tuned-node-options'] ? `; proxy-tuned runs with ${options['tuned-node-options']}` : ''}`,
      commit: gitCommit(),
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    };
    const markdown = renderResults(info, selectedWorkloads, selectedTargets, samples);
    mkdirSync('bench/out', { recursive: true });
    writeFileSync(outFile, markdown);
    log(`\n${markdown}\nwritten to ${outFile}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

async function measure(workload: Workload, target: Target, round: number, files: { bodyFile: string; luaFile: string }): Promise<Sample> {
  // JIT, TLS session caches and upstream pools warm up once per pair; later rounds are warm.
  if (round === 1 && warmupSec > 0) await runLoad(workload, target, warmupSec, files);
  const pids = target.pid === undefined ? [] : processTree(target.pid);
  resetPeakRss(pids);
  const cpuBefore = cpuMicros(pids);
  const syscallsBefore = syscalls(pids);
  const load = await runLoad(workload, target, durationSec, files);
  const cpuAfter = cpuMicros(pids);
  const cpuUs = target.pid === undefined ? undefined : cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system;
  const systemShare = cpuUs === undefined || cpuUs === 0 ? undefined : (cpuAfter.system - cpuBefore.system) / cpuUs;
  const syscallsAfter = syscalls(pids);
  const perRequest = (n: number) => (target.pid === undefined || load.requests === 0 ? undefined : n / load.requests);
  const readsPerRequest = perRequest(syscallsAfter.reads - syscallsBefore.reads);
  const writesPerRequest = perRequest(syscallsAfter.writes - syscallsBefore.writes);
  const peak = target.pid === undefined ? undefined : peakRssBytes(pids);
  const failure = target.failure();
  if (failure !== undefined) throw new Error(failure);
  const rps = load.requests / (load.durationUs / 1e6);
  const errors = Object.values(load.errors).reduce((a, b) => a + b, 0);
  log(
    `round ${round} ${workload.id.padEnd(7)} ${target.name.padEnd(9)} ${rps.toFixed(0).padStart(7)} req/s  p50 ${(load.latencyUs.p50 / 1000).toFixed(2)} ms  p99 ${(load.latencyUs.p99 / 1000).toFixed(2)} ms` +
      `${cpuUs === undefined || load.requests === 0 ? '' : `  ${(cpuUs / load.requests).toFixed(1)} µs CPU/req (${((systemShare ?? 0) * 100).toFixed(0)}% sys)`}${peak === undefined ? '' : `  ${(peak / 1048576).toFixed(0)} MiB`}${readsPerRequest === undefined || writesPerRequest === undefined ? '' : `  ${readsPerRequest.toFixed(1)} reads + ${writesPerRequest.toFixed(1)} writes/req`}${errors > 0 ? `  ${errors} errors` : ''}`,
  );
  if (load.requests === 0 || errors > 0) {
    const stderr = target.diagnostics();
    if (stderr !== '') log(`  ${target.name} stderr: ${stderr.slice(-1500)}`);
  }
  return { workload, target: target.name as TargetName, round, load, cpuUs, systemShare, peakRssBytes: peak, readsPerRequest, writesPerRequest };
}

await main();
