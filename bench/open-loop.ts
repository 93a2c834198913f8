// Open-loop load generator (workload e-open): a fixed request rate on many keep-alive connections,
// whose schedule does not slow down when responses are slow. Request i is due at t0 + i/rate; a due
// request goes out on any idle connection, or waits in a queue until one is idle, and its latency
// is counted from when it was due, not from when it went out. That is what makes it free of
// coordinated omission (wrk2's method; wrk2 is not in Debian): a target that stalls for 10 ms
// collects 10 ms of latency on every request due in that time, instead of the load generator
// quietly sending fewer of them.
//
// Node timers fire at 1 ms granularity, so the schedule is also checked after every response, which
// at these rates comes every few tens of µs: sends go out close to their due time (the `lag`
// figures say how close: how late the generator noticed a request was due) instead of in bursts
// once a millisecond. What lag there is adds to the
// latency of every target alike, direct included, and cancels in "proxy minus direct".
//
//   node bench/open-loop.ts '{"port":8080,"isTls":false,"rate":10000,"durationMs":3000,"connections":64,"bodyFile":"…","cookie":"…","replyBytes":512}'
//
// Prints one BENCH_JSON line like bench/wrk/hs2-post.lua, plus the offered rate, the send lag and
// the generator's own CPU over the scheduled time (cpuUs, without Node's start-up).
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { LatencyList } from './latency-summary.ts';

interface Options {
  readonly port: number;
  readonly isTls: boolean;
  readonly rate: number;
  readonly durationMs: number;
  readonly connections: number;
  readonly bodyFile: string;
  readonly cookie: string;
  readonly replyBytes: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
if (!(options.rate > 0) || !(options.durationMs > 0) || !(options.connections > 0)) throw new Error('open-loop: rate, durationMs and connections must be positive');
const body = readFileSync(options.bodyFile);
// The request wrk sends (bench/wrk/hs2-post.lua), keep-alive.
const request = Buffer.concat([
  Buffer.from(
    [
      'POST /cliservice HTTP/1.1',
      `Host: 127.0.0.1:${options.port}`,
      'Content-Type: application/x-thrift',
      'User-Agent: Python/3.11 Thrift/0.16.0 impyla/0.21.0',
      `Cookie: ${options.cookie}`,
      `X-Bench-Reply-Bytes: ${options.replyBytes}`,
      `Content-Length: ${body.length}`,
      '',
      '',
    ].join('\r\n'),
  ),
  body,
]);
/** After the last request is due, the stragglers get this long; what is still out then is a timeout. */
const drainMs = 10_000;

const latenciesUs = new LatencyList();
const lagsUs = new LatencyList();
const errors = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };
let bytes = 0;
let completed = 0;
let lastCompletion = 0;

const idle: Connection[] = [];
/** Due times (ms, performance.now()) of requests waiting for an idle connection; read from `head`. */
let queue: number[] = [];
let head = 0;
const total = Math.max(1, Math.round((options.rate * options.durationMs) / 1000));
const intervalMs = 1000 / options.rate;
let issued = 0;
let t0 = 0;
let inFlight = 0;
/** Times pump() left requests queued because every connection was busy. */
let waitedForConnection = 0;

class Connection {
  readonly #socket: Socket;
  #head: Buffer | undefined;
  /** Bytes of the current response still to come; -1 while its head is incomplete. */
  #remaining = -1;
  #isOk = false;
  #dueAt = 0;
  #isBusy = false;
  #isDead = false;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    // Plain sockets read into a reused buffer (onread, set at connect); TLS ones emit 'data'.
    if (options.isTls) socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.#die());
    socket.on('close', () => this.#die());
  }

  send(dueAt: number): void {
    this.#dueAt = dueAt;
    this.#isBusy = true;
    this.#remaining = -1;
    inFlight += 1;
    this.#socket.write(request);
  }

  close(): void {
    this.#isDead = true;
    this.#socket.destroy();
  }

  /** Bytes read; `chunk` may be a view of a buffer the next read reuses. */
  receive(chunk: Buffer): void {
    bytes += chunk.length;
    if (!this.#isBusy) return this.#fail('read'); // bytes nobody asked for
    if (this.#remaining === -1) {
      const buffer = this.#head === undefined ? chunk : Buffer.concat([this.#head, chunk]);
      const headEnd = buffer.indexOf('\r\n\r\n');
      if (headEnd === -1) {
        this.#head = buffer === chunk ? Buffer.from(chunk) : buffer; // keep a copy: chunk's memory is reused
        return;
      }
      this.#head = undefined;
      const text = buffer.toString('latin1', 0, headEnd);
      const length = /\r\ncontent-length: *(\d+)/i.exec(text);
      if (length === null) return this.#fail('read');
      this.#isOk = text.startsWith('HTTP/1.1 200');
      this.#remaining = headEnd + 4 + Number(length[1]) - buffer.length;
    } else {
      this.#remaining -= chunk.length;
    }
    if (this.#remaining > 0) return;
    if (this.#remaining < 0) return this.#fail('read'); // more than one response: no pipelining here
    const now = performance.now();
    this.#isBusy = false;
    inFlight -= 1;
    completed += 1;
    lastCompletion = now;
    if (this.#isOk) latenciesUs.push((now - this.#dueAt) * 1000);
    else errors.status += 1;
    idle.push(this);
    pump(now);
  }

  #fail(kind: keyof typeof errors): void {
    errors[kind] += 1;
    if (this.#isBusy) {
      this.#isBusy = false;
      inFlight -= 1;
    }
    this.#socket.destroy();
    this.#die();
  }

  #die(): void {
    if (this.#isDead) return;
    this.#isDead = true;
    if (this.#isBusy) {
      this.#isBusy = false;
      inFlight -= 1;
      errors.read += 1;
    }
    const index = idle.indexOf(this);
    if (index !== -1) idle.splice(index, 1);
    // Keep the pool at its size while the run lasts (bounded: one reconnect per lost connection).
    if (issued < total) void open().then((connection) => connection && (idle.push(connection), pump(performance.now())));
  }
}

function open(): Promise<Connection | undefined> {
  return new Promise((resolve) => {
    const connectOptions = { host: '127.0.0.1', port: options.port };
    let connection: Connection | undefined;
    // A reused read buffer per connection: no 64 KiB Buffer per read to allocate and collect (the
    // generator shares the 2 cores with what it measures).
    const readBuffer = Buffer.allocUnsafe(64 * 1024);
    const onread = { buffer: readBuffer, callback: (bytes: number) => (connection?.receive(readBuffer.subarray(0, bytes)), true) };
    const socket = options.isTls ? tlsConnect({ ...connectOptions, rejectUnauthorized: false, servername: 'localhost' }) : netConnect({ ...connectOptions, onread });
    const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), 10_000);
    socket.once(options.isTls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      connection = new Connection(socket);
      resolve(connection);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      errors.connect += 1;
      resolve(undefined);
    });
  });
}

/**
 * Queues every request due by `now` and sends the queue's head on idle connections. The lag is how
 * late the generator noticed a request was due (its own event loop, or a core it did not get);
 * waiting for an idle connection after that is the target's doing and is counted apart.
 */
function pump(now: number): void {
  while (issued < total && t0 + issued * intervalMs <= now) {
    const dueAt = t0 + issued++ * intervalMs;
    lagsUs.push((now - dueAt) * 1000);
    queue.push(dueAt);
  }
  while (head < queue.length && idle.length > 0) idle.pop()!.send(queue[head++]!);
  if (head < queue.length) waitedForConnection += 1;
  if (head > 4096 && head * 2 > queue.length) {
    queue = queue.slice(head);
    head = 0;
  }
}

const connections = (await Promise.all(Array.from({ length: options.connections }, open))).filter((c): c is Connection => c !== undefined);
idle.push(...connections);
t0 = performance.now() + 5;
const cpuAtStart = process.cpuUsage();
const timer = setInterval(() => pump(performance.now()), 1);
const endAt = t0 + options.durationMs;
await new Promise<void>((resolve) => {
  const check = setInterval(() => {
    const now = performance.now();
    const isDone = issued === total && head === queue.length && inFlight === 0;
    if (isDone || now > endAt + drainMs) {
      clearInterval(check);
      resolve();
    }
  }, 5);
});
clearInterval(timer);
// Requests still queued or out when the drain time ran out.
errors.timeout += queue.length - head + inFlight + (total - issued);
for (const connection of connections) connection.close();
const cpu = process.cpuUsage(cpuAtStart);
const result = {
  requests: completed,
  cpuUs: cpu.user + cpu.system,
  durationUs: Math.round((Math.max(lastCompletion, t0 + 1) - t0) * 1000),
  bytes,
  errors,
  latencyUs: latenciesUs.summary(),
  offeredRate: options.rate,
  lagUs: lagsUs.summary(),
  waitedForConnection,
};
process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
// Reconnect attempts in flight must not keep the process alive.
process.exit(0);
