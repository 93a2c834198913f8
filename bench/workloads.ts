// The workloads and how each one is driven (wrk, or connect-load.ts for a connection per RPC).
import { runBounded } from './children.ts';
import type { Target } from './targets.ts';

export interface Workload {
  readonly id: string;
  readonly title: string;
  readonly isTls: boolean;
  /** Keep-alive connections (wrk -c), or concurrent clients for connect-load. */
  readonly connections: number;
  readonly replyBytes: number;
  /** A new TLS connection per RPC (impyla, impala-shell <= 4.5). */
  readonly isConnectionPerRpc: boolean;
  /** Think time between a connection's requests; 0 is a closed loop (as fast as replies come). */
  readonly delayMs: number;
  /** Shortest run that means anything (--quick uses 1 s). */
  readonly minDurationSec?: number;
  /** Each connection's first request waits this long too, until every connection is set up. */
  readonly rampMs?: number;
}

export const workloads: readonly Workload[] = [
  { id: 'a-plain', title: '(a) small RPCs, plain HTTP, 32 keep-alive connections', isTls: false, connections: 32, replyBytes: 512, isConnectionPerRpc: false, delayMs: 0 },
  { id: 'a-tls', title: '(a) small RPCs, TLS, 32 keep-alive connections', isTls: true, connections: 32, replyBytes: 512, isConnectionPerRpc: false, delayMs: 0 },
  { id: 'b', title: '(b) a new TLS connection per RPC (full handshake, Connection: close), 8 clients', isTls: true, connections: 8, replyBytes: 512, isConnectionPerRpc: true, delayMs: 0 },
  { id: 'c', title: '(c) 2 MiB FetchResults replies, TLS, 8 keep-alive connections', isTls: true, connections: 8, replyBytes: 2 * 1024 * 1024, isConnectionPerRpc: false, delayMs: 0 },
  { id: 'd', title: '(d) 1,000 pinned keep-alive TLS clients, each one RPC per ~0.5 s (think time 250–750 ms; first RPCs after a 1.5 s ramp for the 1,000 handshakes)', isTls: true, connections: 1000, replyBytes: 512, isConnectionPerRpc: false, delayMs: 500, minDurationSec: 5, rampMs: 1500 },
];

export interface LoadResult {
  readonly requests: number;
  readonly durationUs: number;
  readonly bytes: number;
  readonly errors: { readonly connect: number; readonly read: number; readonly write: number; readonly status: number; readonly timeout: number };
  readonly latencyUs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
}

export interface LoadFiles {
  readonly bodyFile: string;
  readonly luaFile: string;
}

/** Drives `workload` at `target` for `durationSec`; every run is killed if it overstays by 20 s. */
export async function runLoad(workload: Workload, target: Target, requestedSec: number, files: LoadFiles): Promise<LoadResult> {
  // A 1.5 s ramp and up to 750 ms of think time do not fit in a 1 s run.
  const durationSec = Math.max(requestedSec, workload.minDurationSec ?? 1);
  const port = workload.isTls ? target.httpsPort : target.httpPort;
  const limitMs = durationSec * 1000 + 20_000;
  let stdout: string;
  if (workload.isConnectionPerRpc) {
    const options = { port, concurrency: workload.connections, durationMs: durationSec * 1000, bodyFile: files.bodyFile, cookie: target.cookie, replyBytes: workload.replyBytes };
    stdout = await runBounded(process.execPath, ['bench/connect-load.ts', JSON.stringify(options)], {}, limitMs);
  } else {
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
    stdout = await runBounded('wrk', args, env, limitMs);
  }
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (line === undefined) throw new Error(`no BENCH_JSON line in the load generator's output:\n${stdout}`);
  return JSON.parse(line.slice('BENCH_JSON '.length)) as LoadResult;
}
