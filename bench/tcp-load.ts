// Load generator for the binary HS2 workloads (t-small, t-large): NOSASL binary HS2 as impyla and
// impala-shell --protocol=hs2 speak it, i.e. Thrift messages back to back on one long-lived TCP
// connection per client, one call at a time (send a call, read the whole reply, send the next).
// Every call is bench/thrift-messages.ts binaryRequestBytes long and its seqid asks the fake
// coordinator for a reply of `replyBytes`, so the reply is read by counting bytes. Closed loop;
// prints one BENCH_JSON line like bench/wrk/hs2-post.lua. All connections are open before the
// clock starts (a binary session lives for hours; connects are not what is measured). cpuUs is
// the generator's own CPU over the measured time (process.cpuUsage), without Node's start-up.
//
//   node bench/tcp-load.ts '{"port":21050,"connections":32,"durationMs":3000,"replyBytes":512}'
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { LatencyList } from './latency-summary.ts';
import { binaryRequestBytes, operationStatusCall } from './thrift-messages.ts';

interface Options {
  readonly port: number;
  readonly connections: number;
  readonly durationMs: number;
  readonly replyBytes: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const request = operationStatusCall(binaryRequestBytes, randomBytes(16), options.replyBytes);
const latenciesUs = new LatencyList();
const errors = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };
let bytes = 0;

/** What one connection does with the bytes it reads (set by drive()). */
type Reader = (bytes: number) => void;

function open(): Promise<{ socket: Socket; setReader(reader: Reader): void } | undefined> {
  return new Promise((resolve) => {
    let reader: Reader = () => {};
    // Reads land in one reused buffer (onread): the generator only counts bytes, and a fresh 64 KiB
    // Buffer per read made it cost more CPU per 2 MiB reply than the proxies it measures.
    const socket = connect({ host: '127.0.0.1', port: options.port, noDelay: true, onread: { buffer: Buffer.allocUnsafe(256 * 1024), callback: (bytes: number) => (reader(bytes), true) } });
    const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), 10_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({ socket, setReader: (r) => (reader = r) });
    });
    socket.once('error', () => {
      clearTimeout(timer);
      errors.connect += 1;
      resolve(undefined);
    });
  });
}

/** Calls on one connection until the deadline; a reply that is short, long or late ends the connection. */
function drive({ socket, setReader }: { socket: Socket; setReader(reader: Reader): void }, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    let received = 0;
    let sentAt = 0;
    let isSettled = false;
    const settle = (error?: keyof typeof errors) => {
      if (isSettled) return;
      isSettled = true;
      if (error !== undefined) errors[error] += 1;
      socket.destroy();
      resolve();
    };
    const send = () => {
      if (performance.now() >= deadline) return settle();
      sentAt = performance.now();
      socket.write(request);
    };
    socket.setTimeout(10_000, () => settle('timeout'));
    setReader((chunk) => {
      bytes += chunk;
      received += chunk;
      if (received < options.replyBytes) return;
      // More than one reply's bytes: the stream lost its framing somewhere.
      if (received > options.replyBytes) return settle('read');
      latenciesUs.push((performance.now() - sentAt) * 1000);
      received = 0;
      send();
    });
    socket.on('error', () => settle('read'));
    socket.on('close', () => settle(performance.now() < deadline ? 'read' : undefined));
    send();
  });
}

const sockets = (await Promise.all(Array.from({ length: options.connections }, open))).filter((s) => s !== undefined);
const startedAt = performance.now();
const cpuAtStart = process.cpuUsage();
await Promise.all(sockets.map((connection) => drive(connection, startedAt + options.durationMs)));
const cpu = process.cpuUsage(cpuAtStart);
const result = {
  requests: latenciesUs.length,
  durationUs: Math.round((performance.now() - startedAt) * 1000),
  cpuUs: cpu.user + cpu.system,
  bytes,
  errors,
  latencyUs: latenciesUs.summary(),
};
process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
