// `npm run bench`: impala-ha-proxy against HAProxy, Node's own floor (a bare node:http server, a
// node:http + undici pass-through, a naive proxy, a node:net pipe) and no proxy at all, on
// loopback, in front of fake coordinators that answer instantly (bench/fake-coordinator.ts), over
// hs2-http and binary HS2. `npm run bench -- --help` lists the workloads and targets;
// bench/README.md explains the method.
//
// Every process (fake coordinators, each target, each load generator) is separate, so CPU and
// memory are per target, and each workload gets fresh target processes. Targets are interleaved
// A B C / C B A … over several short rounds, and reported as medians with min..max; ratios are
// taken within a round. wrk and haproxy are installed from Debian when missing.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sniffRequest } from '../src/hs2/sniff.ts';
import { runBounded } from './children.ts';
import { makeCertificates, startFakeCoordinators } from './fixtures.ts';
import { measureOpenLoop, measureRun, type MeasureContext, type Sample } from './measure.ts';
import { renderResults, type CheckResults, type Skip } from './report.ts';
import { defaultTargets, isSkipped, servesProtocol, startTarget, targetDescriptions, targetNames, type Target, type TargetName } from './targets.ts';
import { operationStatusCall } from './thrift-messages.ts';
import { maximumProbe, openLoopShare, protocolOf, runLoad, workloads, type Workload } from './workloads.ts';

const { values: options } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h', default: false },
    quick: { type: 'boolean', default: false },
    workloads: { type: 'string' },
    targets: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    'open-rate': { type: 'string' },
    out: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'tuned-node-options': { type: 'string' },
  },
  strict: true,
});

const usage = `npm run bench -- [options]

  (no options)          the full run: every workload, every target but proxy-tuned and proxy-w1, 5 rounds of 3 s;
                        writes bench/results.md (about 30 minutes on 2 cores)
  --quick               a short run that exercises every workload: 1 round of 1 s (2 s for e-open),
                        no warm-up; writes bench/out/results.md. A smoke test, not a measurement
  --workloads a,e-open  only these workloads (an id, or its prefix before "-": "a" is a-plain and a-tls)
  --targets proxy,haproxy  only these targets (direct is added where a workload needs it)
  --rounds N            rounds per workload (default 5, --quick 1)
  --duration SEC        seconds per measured run (default 3, --quick 1)
  --open-rate N         e-open at N req/s for every target, instead of ${openLoopShare * 100} % of each one's maximum
  --out FILE            where to write the results (default: bench/results.md for the full run,
                        bench/out/results.md otherwise)
  --cpu-prof            run impala-ha-proxy under --cpu-prof (profiles in bench/out/)
  --tuned-node-options="--max-semi-space-size=64"   Node flags for the proxy-tuned target
                        (with "=": a value that starts with "-" is refused as a separate argument)
  -h, --help            this help

Workloads:
${workloads.map((w) => `  ${w.id.padEnd(8)} ${w.title}`).join('\n')}

Targets:
${targetNames.map((t) => `  ${t.padEnd(12)} ${targetDescriptions[t]}`).join('\n')}

Targets that do not speak a workload's protocol are left out of it (tcp-pipe is binary HS2 only;
node-http, undici-pass and naive are hs2-http only). Only 127.0.0.1 is ever a target; every load
run is bounded in time.`;

if (options.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

const rounds = Number(options.rounds ?? (options.quick ? 1 : 5));
const durationSec = Number(options.duration ?? (options.quick ? 1 : 3));
// --quick is a smoke test (does every part work?), not a measurement: no warm-up.
const warmupSec = options.quick ? 0 : 1;
/** e-open: how long the closed-loop maximum is measured before each open-loop run. */
const probeSec = options.quick ? 1 : 2;
const openRate = options['open-rate'] === undefined ? undefined : Number(options['open-rate']);
const selectedWorkloads = select(workloads, options.workloads, (w, id) => w.id === id || w.id.startsWith(`${id}-`));
const selectedTargets = options.targets === undefined ? defaultTargets : select(targetNames, options.targets, (t, id) => t === id);
const outFile = options.out ?? (options.quick || options.workloads || options.targets || options.rounds || options.duration ? 'bench/out/results.md' : 'bench/results.md');

function select<T>(all: readonly T[], list: string | undefined, matches: (item: T, id: string) => boolean): T[] {
  if (list === undefined) return [...all];
  const ids = list.split(',').map((id) => id.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !all.some((item) => matches(item, id)));
  if (unknown.length > 0) throw new Error(`unknown: ${unknown.join(', ')} (npm run bench -- --help lists them)`);
  return all.filter((item) => ids.some((id) => matches(item, id)));
}

/** The targets a workload runs against: those that speak its protocol, and direct whenever e-open needs it. */
function targetsFor(workload: Workload): TargetName[] {
  const protocol = protocolOf(workload);
  if (protocol === 'none') return [];
  const targets = selectedTargets.filter((t) => servesProtocol(t, protocol));
  if (workload.driver === 'open-loop' && !targets.includes('direct')) targets.unshift('direct');
  return targets;
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

async function runChecks(): Promise<CheckResults> {
  const args = options.quick ? ['--rounds', '3', '--ms', '100'] : ['--rounds', '7', '--ms', '300'];
  const stdout = await runBounded(process.execPath, ['bench/request-checks.ts', '--json', ...args], {}, 120_000);
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (line === undefined) throw new Error(`no BENCH_JSON line from bench/request-checks.ts:\n${stdout}`);
  const results = JSON.parse(line.slice('BENCH_JSON '.length)) as CheckResults;
  log(`checks: ${results.timings.map((t) => `${t.name} ${t.ns.toFixed(0)} ns`).join(', ')}`);
  return results;
}

async function main(): Promise<void> {
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isFinite(durationSec) || durationSec < 1) throw new Error('--rounds and --duration must be positive integers');
  if (openRate !== undefined && !(Number.isInteger(openRate) && openRate > 0)) throw new Error('--open-rate must be a positive integer (requests per second)');
  const startedAt = performance.now();
  const usedTargets = new Set(targetNames.filter((t) => selectedWorkloads.some((w) => targetsFor(w).includes(t))));
  if (selectedWorkloads.some((w) => w.driver === 'wrk' || w.driver === 'open-loop')) ensureTool('wrk', 'wrk');
  if ([...usedTargets].some((t) => t.startsWith('proxy'))) {
    // The proxy runs as installed, from dist/: build it from the sources being measured.
    execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  }
  if ([...usedTargets].some((t) => t.startsWith('haproxy'))) ensureTool('haproxy', 'haproxy');

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
    const certificates = makeCertificates(certificateDirectory);

    const body = operationStatusCall(300, randomBytes(16));
    // The proxy routes on what it sniffs; a body it cannot read would measure the 400 path.
    const sniffed = sniffRequest(body, true);
    if (sniffed?.method !== 'GetOperationStatus' || sniffed.sessionKey === undefined) throw new Error('the benchmark request body does not sniff as a session-bound RPC');
    const files = { bodyFile: join(directory, 'request.bin'), luaFile: 'bench/wrk/hs2-post.lua' };
    writeFileSync(files.bodyFile, body);

    const fake = await startFakeCoordinators(certificateDirectory);
    children.push(fake.child);
    const context: MeasureContext = { files, durationSec, coordinatorsPid: fake.child.pid, log };
    const skips = new Map<TargetName, Skip>();
    const startTargets = async (names: readonly TargetName[]): Promise<Target[]> => {
      const started: Target[] = [];
      for (const name of names) {
        const target = await startTarget(name, fake.ports, certificates, directory, {
          cpuProfileDirectory: options['cpu-prof'] ? 'bench/out' : undefined,
          tunedNodeOptions: options['tuned-node-options']?.split(' ').filter(Boolean) ?? [],
        });
        if (isSkipped(target)) {
          if (!skips.has(name)) log(`${name}: skipped: ${target.skipped}`);
          skips.set(name, { target: name, reason: target.skipped });
          continue;
        }
        children.push(target);
        started.push(target);
      }
      return started;
    };
    const loadBefore = loadavg();
    log(`targets: ${[...usedTargets].join(', ')}; workloads: ${selectedWorkloads.map((w) => w.id).join(', ')}; ${rounds} round(s) of ${durationSec} s`);

    const samples: Sample[] = [];
    let checks: CheckResults | undefined;
    for (const workload of selectedWorkloads) {
      if (workload.driver === 'micro') {
        checks = await runChecks();
        continue;
      }
      // Fresh processes for each workload: what one workload left behind (a heap grown by 2 MiB
      // replies, say) must not count as the next one's memory.
      const targets = await startTargets(targetsFor(workload));
      for (let round = 1; round <= rounds; round++) {
        const order = round % 2 === 1 ? targets : [...targets].reverse();
        for (const target of order) {
          if (workload.driver === 'open-loop') {
            if (target.name === 'direct') continue; // the reference of every pair
            const direct = targets.find((t) => t.name === 'direct')!;
            samples.push(await measureOpenLoop(workload, maximumProbe, target, direct, round, context, probeSec, openLoopShare, openRate));
            continue;
          }
          // JIT, TLS session caches and upstream pools warm up once per pair; later rounds are warm.
          if (round === 1 && warmupSec > 0) await runLoad(workload, target, warmupSec, files);
          samples.push(await measureRun(workload, target, round, context));
        }
      }
      for (const target of targets) {
        await target.stop();
        children.splice(children.indexOf(target), 1);
      }
    }

    const loadAfter = loadavg();
    const memoryGiB = (totalmem() / 2 ** 30).toFixed(1);
    const minutes = (performance.now() - startedAt) / 60_000;
    const info = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      machine: `${availableParallelism()} CPUs (nproc), ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${memoryGiB} GiB RAM, Linux ${release()}; load average ${loadBefore[0]!.toFixed(2)} before, ${loadAfter[0]!.toFixed(2)} after`,
      versions: `Node ${process.version}; ${firstLine('haproxy', ['-v'])}; ${firstLine('wrk', ['-v'])}; ${firstLine('openssl', ['version'])}`,
      settings: `${rounds} round(s) × ${durationSec} s per workload and target, ${warmupSec > 0 ? `${warmupSec} s warm-up per pair in round 1` : 'no warm-up (--quick)'}; e-open: ${probeSec} s closed-loop maximum before each open-loop run, then ${openRate === undefined ? `${openLoopShare * 100} % of it` : `${openRate} req/s for every target (--open-rate)`}; wrk -t1 (one thread); nothing pinned to a CPU; impala-ha-proxy with log.level warn and log.access at its default (true), so access lines are built but not written (the \`proxy-log\` target writes them, at info, to /dev/null); upstream plain HTTP to 2 fake coordinators, TLS 1.3 (ECDSA P-256) at the front; HAProxy with no logging, maxconn 16 per coordinator like upstream.connectionsPerCoordinator${options['tuned-node-options'] ? `; proxy-tuned runs with ${options['tuned-node-options']}` : ''}; the run took ${minutes.toFixed(1)} min`,
      commit: gitCommit(),
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      isQuick: options.quick,
    };
    const markdown = renderResults(info, selectedWorkloads, [...usedTargets], samples, [...skips.values()], checks);
    mkdirSync('bench/out', { recursive: true });
    writeFileSync(outFile, markdown);
    log(`\n${markdown}\nwritten to ${outFile} (${minutes.toFixed(1)} min)`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

await main();
