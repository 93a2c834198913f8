// The systems under test, each in its own process, all on loopback and all in front of the same
// fake coordinators (bench/fake-coordinator.ts). What each one is, for --help and the report:
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeToken } from '../src/affinity/token.ts';
import { Child, freePort, waitForPort } from './children.ts';
import { processTree } from './process-stats.ts';

export const targetDescriptions = {
  direct: 'no proxy: the load generator straight at a fake coordinator (the reference; no proxy CPU to report)',
  'node-http': 'floor: a bare node:http server answering 200 itself with the fake coordinator\'s reply bytes (bench/node-http.ts)',
  'undici-pass': 'floor: node:http + one undici Pool, body streamed both ways, no routing or checks (bench/undici-pass.ts)',
  naive: 'node:http + keep-alive Agent + pipe, the smallest proxy one would write (bench/naive-proxy.ts)',
  'tcp-pipe': 'floor for binary HS2: node:net and two pipe() calls per connection (bench/tcp-pipe.ts)',
  proxy: 'impala-ha-proxy as installed (dist/cli.js with its shebang\'s node flags), one process, log.level warn',
  'proxy-log': 'the same with log.level info: one access line per request, written to /dev/null',
  'proxy-tuned': 'the same as proxy, with extra Node/V8 flags (--tuned-node-options), to try a setting',
  'proxy-w1': 'impala-ha-proxy with server.workers: 1 set explicitly; one process, like proxy (not in the default run)',
  'proxy-w2': 'impala-ha-proxy with server.workers: 2 (skipped while the build has no server.workers)',
  haproxy: 'Debian\'s HAProxy, the equivalent configuration, nbthread 1',
  'haproxy-2t': 'the same HAProxy with nbthread 2 (unpinned)',
} as const;

export type TargetName = keyof typeof targetDescriptions;
export const targetNames = Object.keys(targetDescriptions) as TargetName[];
/**
 * `npm run bench` without --targets: everything but proxy-tuned (which needs --tuned-node-options)
 * and proxy-w1 (server.workers 1 is one process without the cluster module: `proxy` measures it).
 */
export const defaultTargets: readonly TargetName[] = targetNames.filter((name) => name !== 'proxy-tuned' && name !== 'proxy-w1');

/** Which front ends a target has: hs2-http (HTTPS and HTTP listeners) and/or binary HS2 over TCP. */
const binaryTargets = new Set<TargetName>(['direct', 'tcp-pipe', 'proxy', 'proxy-log', 'proxy-tuned', 'proxy-w1', 'proxy-w2', 'haproxy', 'haproxy-2t']);
export function servesProtocol(name: TargetName, protocol: 'http' | 'binary'): boolean {
  return protocol === 'binary' ? binaryTargets.has(name) : name !== 'tcp-pipe';
}

/** The HAProxy that a target is compared with: the one with as many threads as it has workers. */
export function haproxyPeerOf(name: TargetName): TargetName {
  return name === 'proxy-w2' || name === 'haproxy-2t' ? 'haproxy-2t' : 'haproxy';
}

/** How many processes (workers) or threads serve requests in a target. */
export function parallelismOf(name: TargetName): number {
  return name === 'proxy-w2' || name === 'haproxy-2t' ? 2 : 1;
}

export interface Target {
  readonly name: TargetName;
  /** hs2-http front ends; undefined for a binary-only target. */
  readonly httpsPort: number | undefined;
  readonly httpPort: number | undefined;
  /** The binary HS2 front end; undefined for an hs2-http-only target. */
  readonly tcpPort: number | undefined;
  /** The Cookie header a pinned client sends to this target. */
  readonly cookie: string;
  /** Root of the process tree whose CPU and memory are measured; undefined for `direct`. */
  readonly pid: number | undefined;
  /** Why the target's process is gone (its stderr), or undefined while it runs. */
  failure(): string | undefined;
  /** The end of the target's stderr. */
  diagnostics(): string;
  stop(): Promise<void>;
}

/** A target that cannot run against this build, and why (the report says so instead of failing). */
export interface SkippedTarget {
  readonly name: TargetName;
  readonly skipped: string;
}

export interface Coordinators {
  /** hs2-http ports, also each coordinator's web UI port (health checks). */
  readonly plain: readonly number[];
  /** Binary HS2 ports (hs2Port). */
  readonly binary: readonly number[];
  readonly tls: number;
}

export interface Certificates {
  readonly certFile: string;
  readonly keyFile: string;
  /** cert + key in one PEM, as HAProxy's `crt` wants it. */
  readonly bundleFile: string;
}

/** What impalad sets after a successful authentication: `<hmac>&u=<user>&t=<ms>&r=<random>`. */
const authCookie = `impala.auth=${'Zm9vYmFy'.repeat(6)}&u=impala&t=1732150000000&r=8163946201174619022`;
export const cookieSecret = 'bench-secret-0123456789abcdef0123456789';
export const affinityCookieName = 'impala.session.id';
/** The Cookie header a pinned client sends to impala-ha-proxy (to the others, the token is just a cookie). */
export const proxyCookie = `${authCookie}; ${affinityCookieName}=${makeToken(cookieSecret, 'c1')}`;
const plainCookie = `${authCookie}; ${affinityCookieName}=c1`;

export interface TargetOptions {
  /** A command the target's node runs under, e.g. valgrind and its options (bench/instructions.ts). */
  readonly wrapper?: readonly string[];
  /** How long the target may take to listen (default 15 s; much more under valgrind). */
  readonly startTimeoutMs?: number;
  /** Run impala-ha-proxy under `node --cpu-prof`, writing the profile here when it stops. */
  readonly cpuProfileDirectory?: string | undefined;
  /** Node flags for `proxy-tuned`, e.g. ["--max-semi-space-size=64"]. */
  readonly tunedNodeOptions?: readonly string[];
}

const isProxy = (name: TargetName) => name.startsWith('proxy');
const workersOf = (name: TargetName): number | undefined => (name === 'proxy-w1' ? 1 : name === 'proxy-w2' ? 2 : undefined);

export async function startTarget(name: TargetName, coordinators: Coordinators, certificates: Certificates, directory: string, options: TargetOptions = {}): Promise<Target | SkippedTarget> {
  if (name === 'direct') {
    return { name, httpsPort: coordinators.tls, httpPort: coordinators.plain[0]!, tcpPort: coordinators.binary[0]!, cookie: plainCookie, pid: undefined, failure: () => undefined, diagnostics: () => '', stop: async () => {} };
  }
  const hasHttp = servesProtocol(name, 'http');
  const hasBinary = servesProtocol(name, 'binary');
  const httpsPort = hasHttp ? await freePort() : undefined;
  const httpPort = hasHttp ? await freePort() : undefined;
  const tcpPort = hasBinary ? await freePort() : undefined;
  const ports = { httpsPort: httpsPort ?? 0, httpPort: httpPort ?? 0, tcpPort: tcpPort ?? 0 };
  let child: Child;
  let cookie = plainCookie;
  const startNode = (args: readonly string[]): Child =>
    options.wrapper === undefined ? new Child(name, process.execPath, args) : new Child(name, options.wrapper[0]!, [...options.wrapper.slice(1), process.execPath, ...args]);
  if (name === 'naive' || name === 'undici-pass') {
    child = startNode([`bench/${name === 'naive' ? 'naive-proxy' : 'undici-pass'}.ts`, String(httpsPort), String(httpPort), certificates.certFile, certificates.keyFile, String(coordinators.plain[0])]);
  } else if (name === 'node-http') {
    child = startNode(['bench/node-http.ts', String(httpsPort), String(httpPort), certificates.certFile, certificates.keyFile]);
  } else if (name === 'tcp-pipe') {
    child = startNode(['bench/tcp-pipe.ts', String(tcpPort), coordinators.binary.join(',')]);
  } else if (name === 'haproxy' || name === 'haproxy-2t') {
    const configFile = join(directory, `${name}.cfg`);
    writeFileSync(configFile, haproxyConfig(ports, coordinators, certificates, parallelismOf(name)));
    // -db: stay in the foreground as one process (no master/worker), so its pid is the one to measure.
    child = new Child(name, 'haproxy', ['-db', '-f', configFile]);
  } else {
    const workers = workersOf(name);
    const configFile = join(directory, `${name}.yaml`);
    writeFileSync(configFile, JSON.stringify(proxyConfig(ports, coordinators, certificates, name === 'proxy-log', workers), null, 2));
    if (workers !== undefined) {
      const unsupported = await workersUnsupported(configFile);
      if (unsupported !== undefined) return { name, skipped: unsupported };
    }
    const profiling = options.cpuProfileDirectory === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDirectory}`];
    const tuning = name === 'proxy-tuned' ? (options.tunedNodeOptions ?? []) : [];
    child = startNode([...profiling, ...binNodeFlags(), ...tuning, builtCli, '--config', configFile]);
    cookie = proxyCookie;
  }
  for (const port of [httpsPort, httpPort, tcpPort]) if (port !== undefined) await waitForPort(port, child, options.startTimeoutMs);
  const workers = workersOf(name);
  if (workers !== undefined && workers > 1) {
    // A schema that accepts the key is not yet a proxy that forks: figures of one process must
    // not be reported as those of several.
    const processes = await waitForProcesses(child.pid, workers + 1, 15_000);
    if (processes < workers + 1) {
      await child.stop();
      return { name, skipped: `server.workers: ${workers} was accepted, but the proxy ran ${processes} process(es) after 15 s instead of a primary and ${workers} workers` };
    }
  }
  const failure = () => (child.hasExited ? `${name} exited: ${child.stderrTail}` : undefined);
  return { name, httpsPort, httpPort, tcpPort, cookie, pid: child.pid, failure, diagnostics: () => child.stderrTail, stop: () => child.stop() };
}

/** Polls the process tree under `pid` until it has `count` processes or `timeoutMs` passed; returns how many it has. */
async function waitForProcesses(pid: number, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = processTree(pid).length;
    if (found >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function isSkipped(target: Target | SkippedTarget): target is SkippedTarget {
  return 'skipped' in target;
}

/** The proxy as installed: the built bin (bench/run.ts builds it first), with its shebang's node flags. */
const builtCli = 'dist/cli.js';

function binNodeFlags(): string[] {
  const shebang = readFileSync(builtCli, 'utf8').split('\n', 1)[0]!;
  const match = /^#!\/usr\/bin\/env -S node(?<flags>( --?[\w-]+(=\S+)?)*)$/.exec(shebang);
  if (match === null) throw new Error(`${builtCli}: unexpected shebang ${shebang}`);
  return match.groups!.flags!.trim().split(' ').filter(Boolean);
}

/**
 * Whether the built proxy's schema knows server.workers: `--check-config` on the very config the
 * target would run. Undefined when it does; otherwise the reason, for the report. Any other
 * rejection is a bug of the benchmark's config and fails the run.
 */
function workersUnsupported(configFile: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [builtCli, '--config', configFile, '--check-config'], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error === null) return resolve(undefined);
      const message = stderr.trim().split('\n').find((line) => line.includes('workers')) ?? '';
      if (error.code === 2 && message !== '') return resolve(`server.workers is not in this build's config schema yet (--check-config: ${message.replace(/^impala-ha-proxy: /, '')})`);
      reject(new Error(`impala-ha-proxy --check-config rejected the benchmark's config ${configFile}: ${stderr.trim() || error.message}`));
    });
  });
}

interface Ports {
  readonly httpsPort: number;
  readonly httpPort: number;
  readonly tcpPort: number;
}

/**
 * log.level warn: the access line is logged at info, so it is built but not written (log.access
 * stays at its default, true). `proxy-log` measures what writing it costs. One TCP listener for
 * binary HS2 with the defaults (least-connections, plain, 1 h idle timeouts).
 */
function proxyConfig(ports: Ports, coordinators: Coordinators, certificates: Certificates, isLogging: boolean, workers: number | undefined) {
  return {
    listen: { https: { host: '127.0.0.1', port: ports.httpsPort }, http: { host: '127.0.0.1', port: ports.httpPort } },
    tcp: [{ name: 'hs2', host: '127.0.0.1', port: ports.tcpPort, coordinatorPort: 'hs2Port', tls: 'none' }],
    tls: { certFile: certificates.certFile, keyFile: certificates.keyFile },
    coordinators: coordinators.plain.map((port, i) => ({ name: `c${i + 1}`, host: '127.0.0.1', hs2HttpPort: port, hs2Port: coordinators.binary[i]!, webuiPort: port })),
    cookie: { secrets: [cookieSecret] },
    admin: null,
    log: { level: isLogging ? 'info' : 'warn', access: true },
    ...(workers !== undefined && { server: { workers } }),
  };
}

/**
 * The equivalent HAProxy. hs2-http: least-connections, an inserted affinity cookie the coordinators
 * never see (`indirect`), redispatch on failure, X-Forwarded-For/-Proto, health checks like ours,
 * and maxconn 16 per coordinator like upstream.connectionsPerCoordinator. Binary HS2: `mode tcp`
 * with the settings of our TCP listener: leastconn, the same HTTP health check on each
 * coordinator's web UI port, connections closed when a coordinator is marked down, 1 h idle
 * timeouts. No logging; `threads` threads, not pinned to CPUs (no cpu-map).
 */
function haproxyConfig(ports: Ports, coordinators: Coordinators, certificates: Certificates, threads: number): string {
  const servers = coordinators.plain.map((port, i) => `  server c${i + 1} 127.0.0.1:${port} cookie c${i + 1} check inter 2s maxconn 16`);
  const binaryServers = coordinators.binary.map((port, i) => `  server c${i + 1} 127.0.0.1:${port} check port ${coordinators.plain[i]} inter 2s on-marked-down shutdown-sessions`);
  return `global
  nbthread ${threads}
  maxconn 4096

defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 120s
  timeout server 600s
  timeout http-request 10s
  timeout http-keep-alive 120s
  timeout queue 60s

frontend hs2
  bind 127.0.0.1:${ports.httpsPort} ssl crt ${certificates.bundleFile}
  bind 127.0.0.1:${ports.httpPort}
  option forwardfor
  http-request set-header X-Forwarded-Proto https if { ssl_fc }
  http-request set-header X-Forwarded-Proto http if !{ ssl_fc }
  default_backend coordinators

backend coordinators
  balance leastconn
  cookie ${affinityCookieName} insert indirect nocache
  option redispatch
  option httpchk GET /healthz
${servers.join('\n')}

listen hs2-binary
  mode tcp
  bind 127.0.0.1:${ports.tcpPort}
  balance leastconn
  timeout client 3600s
  timeout server 3600s
  option httpchk GET /healthz
${binaryServers.join('\n')}
`;
}
