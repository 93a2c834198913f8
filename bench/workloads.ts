// The workloads and how each one is driven: wrk (closed loop, keep-alive), connect-load.ts (a new
// TLS connection per RPC), open-loop.ts (a fixed rate), tcp-load.ts (binary HS2 over TCP), or a
// micro benchmark of the per-request checks (request-checks.ts) that needs no target at all.
import { runBounded } from './children.ts';
import type { LatencySummary } from './latency-summary.ts';
import type { Target } from './targets.ts';

export type Driver = 'wrk' | 'connect-per-rpc' | 'open-loop' | 'binary' | 'micro';

export interface Workload {
  readonly id: string;
  readonly title: string;
  readonly driver: Driver;
  readonly isTls: boolean;
  /** Keep-alive connections (wrk -c), concurrent clients for connect-load, or TCP connections. */
  readonly connections: number;
  readonly replyBytes: number;
  /** Think time between a connection's requests; 0 is a closed loop (as fast as replies come). */
  readonly delayMs: number;
  /** Shortest run that means anything (--quick uses 1 s). */
  readonly minDurationSec?: number;
  /** Each connection's first request waits this long too, until every connection is set up. */
  readonly rampMs?: number;
}

/** Share of a target's closed-loop maximum that the open-loop workload offers. */
export const openLoopShare = 0.5;

export const workloads: readonly Workload[] = [
  { id: 'a-plain', title: '(a) small RPCs, plain HTTP, 32 keep-alive connections', driver: 'wrk', isTls: false, connections: 32, replyBytes: 512, delayMs: 0 },
  { id: 'a-tls', title: '(a) small RPCs, TLS, 32 keep-alive connections', driver: 'wrk', isTls: true, connections: 32, replyBytes: 512, delayMs: 0 },
  { id: 'b', title: '(b) a new TLS connection per RPC (full handshake, Connection: close), 8 clients', driver: 'connect-per-rpc', isTls: true, connections: 8, replyBytes: 512, delayMs: 0 },
  { id: 'c', title: '(c) 2 MiB FetchResults replies, TLS, 8 keep-alive connections', driver: 'wrk', isTls: true, connections: 8, replyBytes: 2 * 1024 * 1024, delayMs: 0 },
  { id: 'd', title: '(d) 1,000 pinned keep-alive TLS clients, each one RPC per ~0.5 s (think time 250–750 ms; first RPCs after a 1.5 s ramp for the 1,000 handshakes)', driver: 'wrk', isTls: true, connections: 1000, replyBytes: 512, delayMs: 500, minDurationSec: 5, rampMs: 1500 },
  {
    id: 'e-open',
    title: `(e) open loop: small RPCs, plain HTTP, 64 keep-alive connections, at ${openLoopShare * 100} % of each target's own closed-loop maximum (measured just before with wrk as in a-plain); latency from the scheduled send time, and minus direct at the same rate`,
    driver: 'open-loop',
    isTls: false,
    connections: 64,
    replyBytes: 512,
    delayMs: 0,
    minDurationSec: 2,
  },
  { id: 't-small', title: '(t) binary HS2 over TCP (NOSASL): small RPCs (300 B call, 512 B reply), 32 long-lived connections, one call at a time each', driver: 'binary', isTls: false, connections: 32, replyBytes: 512, delayMs: 0 },
  { id: 't-large', title: '(t) binary HS2 over TCP (NOSASL): 2 MiB replies, 8 long-lived connections', driver: 'binary', isTls: false, connections: 8, replyBytes: 2 * 1024 * 1024, delayMs: 0 },
  { id: 'checks', title: '(f) CPU cost of the per-request checks (micro benchmark, bench/request-checks.ts), next to a whole small RPC', driver: 'micro', isTls: false, connections: 0, replyBytes: 512, delayMs: 0 },
];

export function protocolOf(workload: Workload): 'http' | 'binary' | 'none' {
  return workload.driver === 'micro' ? 'none' : workload.driver === 'binary' ? 'binary' : 'http';
}

export interface LoadResult {
  readonly requests: number;
  readonly durationUs: number;
  readonly bytes: number;
  readonly errors: { readonly connect: number; readonly read: number; readonly write: number; readonly status: number; readonly timeout: number };
  readonly latencyUs: LatencySummary;
  /** The Node generators' own CPU over the measured time, without their start-up (wrk: undefined). */
  readonly cpuUs?: number;
  /** open-loop only: the rate asked for, and how late the generator noticed requests were due. */
  readonly offeredRate?: number;
  readonly lagUs?: LatencySummary;
  /** open-loop only: how often due requests had to wait because every connection was busy. */
  readonly waitedForConnection?: number;
}

export interface LoadFiles {
  readonly bodyFile: string;
  readonly luaFile: string;
}

export interface LoadOptions {
  /** open-loop: requests per second. */
  readonly rate?: number;
}

/** Drives `workload` at `target` for `durationSec`; every run is killed if it overstays by 20 s. */
export async function runLoad(workload: Workload, target: Target, requestedSec: number, files: LoadFiles, options: LoadOptions = {}): Promise<LoadResult> {
  // A 1.5 s ramp and up to 750 ms of think time do not fit in a 1 s run.
  const durationSec = Math.max(requestedSec, workload.minDurationSec ?? 1);
  const limitMs = durationSec * 1000 + 20_000;
  let stdout: string;
  if (workload.driver === 'binary') {
    const load = { port: required(target.tcpPort, target, 'binary HS2'), connections: workload.connections, durationMs: durationSec * 1000, replyBytes: workload.replyBytes };
    stdout = await runBounded(process.execPath, ['bench/tcp-load.ts', JSON.stringify(load)], {}, limitMs);
  } else {
    const port = required(workload.isTls ? target.httpsPort : target.httpPort, target, 'hs2-http');
    if (workload.driver === 'connect-per-rpc') {
      const load = { port, concurrency: workload.connections, durationMs: durationSec * 1000, bodyFile: files.bodyFile, cookie: target.cookie, replyBytes: workload.replyBytes };
      stdout = await runBounded(process.execPath, ['bench/connect-load.ts', JSON.stringify(load)], {}, limitMs);
    } else if (workload.driver === 'open-loop') {
      if (options.rate === undefined) throw new Error('open-loop needs a rate');
      const load = { port, isTls: workload.isTls, rate: options.rate, durationMs: durationSec * 1000, connections: workload.connections, bodyFile: files.bodyFile, cookie: target.cookie, replyBytes: workload.replyBytes };
      stdout = await runBounded(process.execPath, ['bench/open-loop.ts', JSON.stringify(load)], {}, limitMs);
    } else if (workload.driver === 'wrk') {
      stdout = await runWrk(workload, target, port, durationSec, files, limitMs);
    } else {
      throw new Error(`${workload.id} has no target to drive`);
    }
  }
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (line === undefined) throw new Error(`no BENCH_JSON line in the load generator's output:\n${stdout}`);
  return JSON.parse(line.slice('BENCH_JSON '.length)) as LoadResult;
}

function runWrk(workload: Workload, target: Target, port: number, durationSec: number, files: LoadFiles, limitMs: number): Promise<string> {
  const url = `${workload.isTls ? 'https' : 'http'}://127.0.0.1:${port}/cliservice`;
  const env = {
    BENCH_BODY: files.bodyFile,
    BENCH_COOKIE: target.cookie,
    BENCH_REPLY_BYTES: String(workload.replyBytes),
    BENCH_CLOSE: '0',
    BENCH_DELAY_MS: String(workload.delayMs),
    BENCH_CONNECTIONS: String(workload.connections),
    BENCH_RAMP_MS: String(workload.rampMs ?? 0),
  };
  // One wrk thread: on a small machine every core wrk takes is a core the proxy does not get.
  const args = ['-t1', `-c${workload.connections}`, `-d${durationSec}s`, '--timeout', '10s', '-s', files.luaFile, url];
  return runBounded('wrk', args, env, limitMs);
}

function required(port: number | undefined, target: Target, what: string): number {
  if (port === undefined) throw new Error(`${target.name} has no ${what} front end`);
  return port;
}

/** The closed-loop probe of a target's maximum rate before an open-loop run: a-plain's settings. */
export const maximumProbe: Workload = { ...workloads[0]!, id: 'e-open-max', title: 'closed-loop maximum (a-plain settings)' };
