// Instructions per request, counted by valgrind's callgrind: a figure that the machine's load barely
// moves, for before/after comparisons on a shared or noisy host where CPU µs per request move by
// ±10 % between runs (bench/README.md). Each target runs under callgrind (every thread: the
// main thread, V8's compiler and GC helpers, libuv's pool) behind the fake coordinators; a client
// sends the benchmark's small GetOperationStatus call on CONNECTIONS keep-alive connections, one at
// a time per connection, plain HTTP; after WARMUP requests the counters are zeroed
// (callgrind_control -z), after REQUESTS more they are dumped, and the dump's total divided by
// REQUESTS is the figure. It counts work, not time (a cache miss or a syscall's kernel side is not
// in it). It compares two builds of the proxy at the same settings (three runs each: in one session
// each build's three agreed within 1.5 %; other repeats of one build spread up to 5 %), not two programs: V8's concurrent compilers and collectors are counted too, and
// how much of their work falls in the window depends on the program and the warm-up (bench/README.md).
//
//   npm run build && node bench/instructions.ts [--requests N] [--warmup N] [--connections N] [--keep DIR] [TARGET…]
//   e.g. node bench/instructions.ts proxy undici-pass node-http
//
// Needs valgrind (apt-get install valgrind). Under callgrind a target runs ~50x slower: a run of
// the defaults takes a few minutes. Loopback only; every run is bounded in time.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Child } from './children.ts';
import { makeCertificates, startFakeCoordinators } from './fixtures.ts';
import { isSkipped, startTarget, type Target, type TargetName } from './targets.ts';
import { operationStatusCall } from './thrift-messages.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '8' },
    // Keep each target's measured dump (callgrind.TARGET.out) for `callgrind_annotate --inclusive=no`.
    keep: { type: 'string' },
  },
});
const requests = Number(values.requests);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
if (![requests, warmup, connections].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--requests, --warmup and --connections must be positive integers');
const targets = (positionals.length > 0 ? positionals : ['proxy']) as TargetName[];

try {
  execFileSync('sh', ['-c', 'command -v valgrind && command -v callgrind_control'], { stdio: 'ignore' });
} catch {
  console.error('instructions: valgrind is missing (apt-get install -y valgrind)');
  process.exit(2);
}

/** Sends `count` requests, one at a time on each of `connections` keep-alive connections; rejects on any non-200 or after `timeoutMs`. */
async function load(port: number, cookie: string, body: Buffer, count: number, timeoutMs: number): Promise<void> {
  const request = Buffer.concat([
    Buffer.from(
      ['POST /cliservice HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Content-Type: application/x-thrift', 'User-Agent: Python/3.11 Thrift/0.16.0 impyla/0.21.0', `Cookie: ${cookie}`, 'X-Bench-Reply-Bytes: 512', `Content-Length: ${body.length}`, '', ''].join('\r\n'),
    ),
    body,
  ]);
  let issued = 0;
  const deadline = setTimeout(() => failAll(new Error(`instructions: ${count} requests did not complete within ${timeoutMs} ms`)), timeoutMs);
  const sockets: ReturnType<typeof connect>[] = [];
  let failAll: (error: Error) => void = () => {};
  const runs = Array.from(
    { length: Math.min(connections, count) },
    () =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        sockets.push(socket);
        let received = Buffer.alloc(0);
        const next = () => {
          if (issued >= count) {
            socket.end();
            return resolve();
          }
          issued += 1;
          socket.write(request);
        };
        socket.on('connect', next);
        socket.on('data', (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
          const headEnd = received.indexOf('\r\n\r\n');
          if (headEnd === -1) return;
          const head = received.toString('latin1', 0, headEnd);
          const length = /\r\ncontent-length: *(\d+)/i.exec(head);
          if (!head.startsWith('HTTP/1.1 200') || length === null) return reject(new Error(`instructions: unexpected response ${head.split('\r\n')[0]}`));
          if (received.length < headEnd + 4 + Number(length[1])) return;
          received = received.subarray(headEnd + 4 + Number(length[1]));
          next();
        });
        socket.on('error', reject);
      }),
  );
  const failed = new Promise<never>((_, reject) => (failAll = reject));
  try {
    await Promise.race([Promise.all(runs), failed]);
  } finally {
    clearTimeout(deadline);
    for (const socket of sockets) socket.destroy();
  }
}

/** The newest callgrind dump in `directory` for `pid`, and its instruction total (Ir). */
function newestDump(directory: string, pid: number): { file: string; instructions: number } {
  const dumps = readdirSync(directory)
    .filter((name) => name.startsWith(`callgrind.${pid}.`))
    .sort((a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1)));
  const newest = dumps.at(-1);
  if (newest === undefined) throw new Error(`instructions: no callgrind dump for pid ${pid} in ${directory}`);
  const total = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(directory, newest), 'utf8'));
  if (total === null) throw new Error(`instructions: no total in ${newest}`);
  return { file: join(directory, newest), instructions: Number(total[1]) };
}

const directory = mkdtempSync(join(tmpdir(), 'instructions-'));
const children: Child[] = [];
let running: Target | undefined;
try {
  const certificateDirectory = join(directory, 'certs');
  const certificates = makeCertificates(certificateDirectory);
  const body = operationStatusCall(300, randomBytes(16));
  const fake = await startFakeCoordinators(certificateDirectory);
  children.push(fake.child);
  const coordinators = fake.ports;
  const dumpDirectory = join(directory, 'callgrind');
  mkdirSync(dumpDirectory);
  // V8 writes and rewrites machine code: --smc-check=all-non-file makes valgrind notice.
  const wrapper = ['valgrind', '--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${join(dumpDirectory, 'callgrind.%p')}`];
  for (const name of targets) {
    const target = await startTarget(name, coordinators, certificates, directory, { wrapper, startTimeoutMs: 300_000 });
    if (isSkipped(target)) throw new Error(`${name}: ${target.skipped}`);
    running = target;
    if (target.httpPort === undefined || target.pid === undefined) throw new Error(`${name} has no plain HTTP front end to measure`);
    const startedAt = Date.now();
    await load(target.httpPort, target.cookie, body, warmup, 600_000);
    execFileSync('callgrind_control', ['-z', String(target.pid)], { stdio: 'ignore', timeout: 120_000 });
    await load(target.httpPort, target.cookie, body, requests, 600_000);
    execFileSync('callgrind_control', ['-d', String(target.pid)], { stdio: 'ignore', timeout: 120_000 });
    const dump = newestDump(dumpDirectory, target.pid);
    const perRequest = dump.instructions / requests;
    if (values.keep !== undefined) {
      mkdirSync(values.keep, { recursive: true });
      copyFileSync(dump.file, join(values.keep, `callgrind.${name}.out`));
    }
    console.log(`${name.padEnd(12)} ${Math.round(perRequest).toLocaleString('en-US').padStart(9)} instructions per request (${requests} requests after ${warmup} of warm-up, ${connections} connections; ${((Date.now() - startedAt) / 1000).toFixed(0)} s)`);
    console.log(`BENCH_JSON ${JSON.stringify({ target: name, instructionsPerRequest: Math.round(perRequest), requests, warmup, connections })}`);
    await target.stop();
    running = undefined;
  }
} finally {
  await running?.stop();
  for (const child of children.reverse()) await child.stop();
  rmSync(directory, { recursive: true, force: true });
}
