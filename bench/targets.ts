// The systems under test, each in its own process, all on loopback and all in front of the same
// fake coordinators:
//   direct      load straight at a fake coordinator (the ceiling; no proxy CPU to report)
//   naive       node:http + keep-alive Agent + pipe (what Node itself costs)
//   proxy       impala-ha-proxy as installed (dist/cli.js with its shebang's node flags), log.level warn
//   proxy-log   the same with log.level info: one access line per request, written to /dev/null
//   proxy-tuned the same as proxy, with extra Node/V8 flags (--tuned-node-options), to try a setting
//   haproxy     Debian's HAProxy configured as the equivalent peer
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeToken } from '../src/affinity/token.ts';
import { Child, freePort, waitForPort } from './children.ts';

export const targetNames = ['direct', 'naive', 'proxy', 'proxy-log', 'proxy-tuned', 'haproxy'] as const;
export type TargetName = (typeof targetNames)[number];
export const defaultTargets: readonly TargetName[] = ['direct', 'naive', 'proxy', 'proxy-log', 'haproxy'];

export interface Target {
  readonly name: TargetName;
  readonly httpsPort: number;
  readonly httpPort: number;
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

export interface Coordinators {
  readonly plain: readonly number[];
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
const cookieSecret = 'bench-secret-0123456789abcdef0123456789';

export interface TargetOptions {
  /** Run impala-ha-proxy under `node --cpu-prof`, writing the profile here when it stops. */
  readonly cpuProfileDirectory?: string | undefined;
  /** Node flags for `proxy-tuned`, e.g. ["--max-semi-space-size=64"]. */
  readonly tunedNodeOptions?: readonly string[];
}

export async function startTarget(name: TargetName, coordinators: Coordinators, certificates: Certificates, directory: string, options: TargetOptions = {}): Promise<Target> {
  if (name === 'direct') {
    return { name, httpsPort: coordinators.tls, httpPort: coordinators.plain[0]!, cookie: `${authCookie}; impala.session.id=c1`, pid: undefined, failure: () => undefined, diagnostics: () => '', stop: async () => {} };
  }
  const httpsPort = await freePort();
  const httpPort = await freePort();
  let child: Child;
  let cookie: string;
  if (name === 'naive') {
    child = new Child(name, process.execPath, ['bench/naive-proxy.ts', String(httpsPort), String(httpPort), certificates.certFile, certificates.keyFile, String(coordinators.plain[0])]);
    cookie = `${authCookie}; impala.session.id=c1`;
  } else if (name === 'haproxy') {
    const configFile = join(directory, 'haproxy.cfg');
    writeFileSync(configFile, haproxyConfig(httpsPort, httpPort, coordinators, certificates));
    // -db: stay in the foreground as one process (no master/worker), so its pid is the one to measure.
    child = new Child(name, 'haproxy', ['-db', '-f', configFile]);
    cookie = `${authCookie}; impala.session.id=c1`;
  } else {
    const configFile = join(directory, `${name}.yaml`);
    writeFileSync(configFile, JSON.stringify(proxyConfig(httpsPort, httpPort, coordinators, certificates, name === 'proxy-log'), null, 2));
    const profiling = options.cpuProfileDirectory === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDirectory}`];
    const tuning = name === 'proxy-tuned' ? (options.tunedNodeOptions ?? []) : [];
    child = new Child(name, process.execPath, [...profiling, ...binNodeFlags(), ...tuning, builtCli, '--config', configFile]);
    cookie = `${authCookie}; impala.session.id=${makeToken(cookieSecret, 'c1')}`;
  }
  await waitForPort(httpsPort, child);
  await waitForPort(httpPort, child);
  const failure = () => (child.hasExited ? `${name} exited: ${child.stderrTail}` : undefined);
  return { name, httpsPort, httpPort, cookie, pid: child.pid, failure, diagnostics: () => child.stderrTail, stop: () => child.stop() };
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
 * log.level warn: the access line is logged at info, so it is built but not written (log.access
 * stays at its default, true). `proxy-log` measures what writing it costs.
 */
function proxyConfig(httpsPort: number, httpPort: number, coordinators: Coordinators, certificates: Certificates, isLogging: boolean) {
  return {
    listen: { https: { host: '127.0.0.1', port: httpsPort }, http: { host: '127.0.0.1', port: httpPort } },
    tls: { certFile: certificates.certFile, keyFile: certificates.keyFile },
    coordinators: coordinators.plain.map((port, i) => ({ name: `c${i + 1}`, host: '127.0.0.1', hs2HttpPort: port, webuiPort: port })),
    cookie: { secrets: [cookieSecret] },
    admin: null,
    log: { level: isLogging ? 'info' : 'warn', access: true },
  };
}

/**
 * The equivalent HAProxy: least-connections, an inserted affinity cookie the coordinators never
 * see (`indirect`), redispatch on failure, X-Forwarded-For/-Proto, health checks like ours, and
 * maxconn 16 per coordinator like upstream.connectionsPerCoordinator. One thread, no logging.
 */
function haproxyConfig(httpsPort: number, httpPort: number, coordinators: Coordinators, certificates: Certificates): string {
  const servers = coordinators.plain.map((port, i) => `  server c${i + 1} 127.0.0.1:${port} cookie c${i + 1} check inter 2s maxconn 16`);
  return `global
  nbthread 1
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
  bind 127.0.0.1:${httpsPort} ssl crt ${certificates.bundleFile}
  bind 127.0.0.1:${httpPort}
  option forwardfor
  http-request set-header X-Forwarded-Proto https if { ssl_fc }
  http-request set-header X-Forwarded-Proto http if !{ ssl_fc }
  default_backend coordinators

backend coordinators
  balance leastconn
  cookie impala.session.id insert indirect nocache
  option redispatch
  option httpchk GET /healthz
${servers.join('\n')}
`;
}
