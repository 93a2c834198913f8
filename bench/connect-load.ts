// Load generator for workload (b): one new TLS connection per RPC, as impyla and impala-shell
// <= 4.5 do. wrk can send `Connection: close`, but its OpenSSL client may resume sessions, and
// impyla does full handshakes; node:tls never resumes unless given a `session`, so every request
// here pays a full handshake. Runs in its own process; prints one BENCH_JSON line like wrk.lua,
// with its own CPU over the run (cpuUs, without Node's start-up).
//
//   node bench/connect-load.ts '{"port":8443,"concurrency":8,"durationMs":5000,"bodyFile":"…","cookie":"…"}'
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { LatencyList } from './latency-summary.ts';

interface Options {
  readonly port: number;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly bodyFile: string;
  readonly cookie: string;
  readonly replyBytes: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const body = readFileSync(options.bodyFile);
const head = Buffer.from(
  [
    'POST /cliservice HTTP/1.1',
    `Host: 127.0.0.1:${options.port}`,
    'Content-Type: application/x-thrift',
    `Content-Length: ${body.length}`,
    `Cookie: ${options.cookie}`,
    `X-Bench-Reply-Bytes: ${options.replyBytes}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n'),
);
const request = Buffer.concat([head, body]);
const latenciesUs = new LatencyList();
const errors = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };
let bytes = 0;

/**
 * One RPC on a fresh connection. Like Python's http.client under impyla, the client reads the
 * reply by its Content-Length and then closes the connection itself.
 */
function rpc(): Promise<void> {
  return new Promise((resolve) => {
    const startedAt = performance.now();
const cpuAtStart = process.cpuUsage();
    let received: Buffer = Buffer.alloc(0);
    let expected = -1;
    let isSettled = false;
    const settle = (error?: keyof typeof errors) => {
      if (isSettled) return;
      isSettled = true;
      if (error !== undefined) errors[error] += 1;
      else if (received.toString('latin1', 0, 12) !== 'HTTP/1.1 200') errors.status += 1;
      else latenciesUs.push((performance.now() - startedAt) * 1000);
      bytes += received.length;
      socket.destroy();
      resolve();
    };
    const socket = connect({ host: '127.0.0.1', port: options.port, rejectUnauthorized: false, servername: 'localhost' }, () => socket.write(request));
    socket.setTimeout(10_000, () => settle('timeout'));
    socket.on('data', (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      if (expected === -1) {
        const headEnd = received.indexOf('\r\n\r\n');
        if (headEnd === -1) return;
        const length = /\r\ncontent-length: *(\d+)/i.exec(received.toString('latin1', 0, headEnd));
        if (length === null) return settle('read');
        expected = headEnd + 4 + Number(length[1]);
      }
      if (received.length >= expected) settle();
    });
    socket.on('end', () => settle(expected === -1 || received.length < expected ? 'read' : undefined));
    socket.on('error', () => settle(received.length === 0 ? 'connect' : 'read'));
  });
}

const startedAt = performance.now();
const cpuAtStart = process.cpuUsage();
const deadline = startedAt + options.durationMs;
await Promise.all(
  Array.from({ length: options.concurrency }, async () => {
    while (performance.now() < deadline) await rpc();
  }),
);
const durationUs = Math.round((performance.now() - startedAt) * 1000);
const cpu = process.cpuUsage(cpuAtStart);
const result = {
  requests: latenciesUs.length + errors.status,
  cpuUs: cpu.user + cpu.system,
  durationUs,
  bytes,
  errors,
  latencyUs: latenciesUs.summary(),
};
process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
