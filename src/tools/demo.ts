// `npm start` / `impala-ha-proxy demo`: the proxy over TLS in front of three simulated coordinators
// (TLS bridged, verified against a dev CA), and the command lines that connect real clients to it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { validateConfig } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { startProxy, type ProxyInstance } from '../main.ts';
import { startCluster, type SimulatedCluster } from './simulator/index.ts';
import { Hs2Client, HttpError, isSuccess } from './client/hs2-client.ts';
import type { TStatus } from './thrift/hs2.ts';
import { UsageError } from '../usage-error.ts';

const defaultAdminPort = 9090;
const defaultTcpPort = 21050;

export const demoUsage = `Usage: impala-ha-proxy demo [--port N] [--failover] [--log-level LEVEL]
  --port N        HTTPS port of the proxy (default 8443; 0 = any free port)
  --failover      run a built-in client (one session, a query every second, each RPC printed as
                  "client: <rpc> → <coordinator or error>"), stop the coordinator it is pinned to
                  after a few seconds and restart it later: watch it get "Invalid session id"
                  from a peer, reconnect there, the health checks and re-pinning in the log, and
                  the coordinator going down and up on the status page
  --failover-timing STOP,RESTART
                  seconds after start at which --failover stops and restarts it (default 8,30)
  --log-level L   default info

The admin listener (status page, metrics, drain/enable, impala-ha-proxy ctl) is on
http://127.0.0.1:${defaultAdminPort}, or on a free port when ${defaultAdminPort} is taken.`;

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Dev certificates from certs/make-dev-certs.sh, made on first use. */
export function ensureDevCerts(): string {
  const candidates = [join(packageRoot, 'certs', 'dev'), join(tmpdir(), 'impala-ha-proxy-dev-certs')];
  for (const dir of candidates) if (existsSync(join(dir, 'proxy.pem'))) return dir;
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true });
      execFileSync(join(packageRoot, 'certs', 'make-dev-certs.sh'), [dir], { stdio: 'ignore' });
      return dir;
    } catch {
      // not writable (installed package): try the next place
    }
  }
  throw new Error('could not create dev certificates (is openssl installed?)');
}

export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, failover: { type: 'boolean' }, 'failover-timing': { type: 'string' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(`${demoUsage}\n`);
    return 0;
  }
  const timing = parseFailoverTiming(values['failover-timing']);
  const port = values.port === undefined ? 8443 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: not a port: ${values.port}`);
  const certs = ensureDevCerts();
  const cluster = await startCluster({ count: 3, namePrefix: 'impalad', tls: { certFile: join(certs, 'coordinator.pem'), keyFile: join(certs, 'coordinator-key.pem') } });
  const configFor = (adminPort: number, tcpPort: number) => validateConfig(
    {
      listen: { https: { host: '127.0.0.1', port } },
      // Binary HS2 as on impalad's 21050 (DESIGN.md §10), TLS passed through to the coordinators.
      tcp: [{ name: 'hs2', host: '127.0.0.1', port: tcpPort, tls: 'passthrough' }],
      tls: { certFile: join(certs, 'proxy.pem'), keyFile: join(certs, 'proxy-key.pem') },
      coordinators: cluster.coordinators.map((c) => ({ name: c.name, host: '127.0.0.1', hs2HttpPort: c.hs2HttpPort, hs2Port: c.hs2TcpPort, webuiPort: c.webuiPort })),
      upstream: { mode: 'tls', tls: { caFile: join(certs, 'ca.pem') } },
      // A fixed demo secret keeps pins across demo restarts; production takes it from a file or env.
      cookie: { secrets: ['impala-ha-proxy-demo-secret-not-for-production'] },
      // Loopback only and no token: this is a demo. Production: admin.token, see README.
      admin: { host: '127.0.0.1', port: adminPort },
      log: { level: values['log-level'] ?? 'info' },
    },
    'embedded demo config',
  );
  const logger = createLogger(configFor(defaultAdminPort, defaultTcpPort).log.level);
  let proxy: ProxyInstance | undefined;
  try {
    // 9090 or 21050 taken (another proxy, Prometheus' node exporter, an impalad…): any free port will do.
    let ports = { admin: defaultAdminPort, tcp: defaultTcpPort };
    for (let attempt = 0; proxy === undefined; attempt++) {
      try {
        proxy = await startProxy(configFor(ports.admin, ports.tcp), logger);
      } catch (error) {
        // A TCP listener's failure is a ListenError whose cause is Node's own error.
        const failure = ((error as { cause?: unknown }).cause ?? error) as { code?: string; port?: number };
        if (attempt === 2 || failure.code !== 'EADDRINUSE') throw error;
        ports = { admin: failure.port === ports.admin ? 0 : ports.admin, tcp: failure.port === ports.tcp ? 0 : ports.tcp };
      }
    }
  } catch (error) {
    await cluster.close();
    throw error;
  }
  printInstructions(proxy, cluster, certs);
  const timers: NodeJS.Timeout[] = [];
  let demoClient: DemoClient | undefined;
  if (values.failover) {
    demoClient = new DemoClient(proxy, join(certs, 'ca.pem'));
    void demoClient.run();
    timers.push(...scheduleFailover(cluster, proxy, demoClient, timing));
  }

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  for (const timer of timers) clearTimeout(timer);
  await demoClient?.stop();
  await proxy.close();
  await cluster.close();
  return 0;
}

interface FailoverTiming {
  readonly stopSec: number;
  readonly restartSec: number;
}

function parseFailoverTiming(text: string | undefined): FailoverTiming {
  if (text === undefined) return { stopSec: 8, restartSec: 30 };
  const [stopSec, restartSec, ...rest] = text.split(',').map(Number);
  if (rest.length > 0 || !(stopSec! > 0) || !(restartSec! > stopSec!)) throw new UsageError(`--failover-timing: expected STOP,RESTART seconds with 0 < STOP < RESTART, got "${text}"`);
  return { stopSec: stopSec!, restartSec: restartSec! };
}

function scheduleFailover(cluster: SimulatedCluster, proxy: ProxyInstance, client: DemoClient, timing: FailoverTiming): NodeJS.Timeout[] {
  const say = (text: string) => process.stderr.write(`\n*** demo: ${text}\n`);
  const statusPage = `${proxy.adminUrl()}/status`;
  let victim = cluster.coordinators[0]!;
  return [
    setTimeout(() => {
      victim = cluster.coordinators.find((c) => c.name === client.pinnedTo) ?? victim;
      say(`stopping ${victim.name}: its clients get "Invalid session id" from a peer and reconnect there; ${statusPage} shows it down`);
      void victim.stop();
    }, timing.stopSec * 1000),
    setTimeout(() => {
      say(`restarting ${victim.name}: it takes new sessions after ${proxy.config.health.rise} good health checks; ${statusPage} shows it up again`);
      void victim.start();
    }, timing.restartSec * 1000),
  ];
}

/**
 * What a client sees during the failover demo: the built-in HS2 client (impyla-like: a new
 * connection per RPC, every cookie kept) with one session and a query every second. On "Invalid
 * session id" it opens a new session, as impala-shell does at its next command.
 */
class DemoClient {
  readonly #proxy: ProxyInstance;
  readonly #client: Hs2Client;
  #isStopped = false;
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;

  constructor(proxy: ProxyInstance, caFile: string) {
    this.#proxy = proxy;
    this.#client = new Hs2Client({ url: proxy.url('https'), tls: { ca: readFileSync(caFile) }, userAgent: 'impala-ha-proxy demo client' });
  }

  /** The coordinator the client's affinity cookie pins it to (the cookie is opaque; the proxy can read it). */
  get pinnedTo(): string | undefined {
    const token = this.#client.cookies.get(this.#proxy.config.cookie.name);
    return token === undefined ? undefined : this.#proxy.coordinators.tokens.lookup(token)?.name;
  }

  run(): Promise<void> {
    this.#running ??= this.#loop();
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#isStopped = true;
    this.#wake?.();
    await this.#running;
    this.#client.close();
  }

  async #loop(): Promise<void> {
    let hasSession = false;
    while (!this.#isStopped) {
      if (!hasSession) hasSession = await this.#call('OpenSession', () => this.#client.openSession());
      if (hasSession) hasSession = await this.#query();
      await this.#sleep(1_000);
    }
  }

  /** One `select 1`; false when the session is gone. */
  async #query(): Promise<boolean> {
    let operation;
    const executed = await this.#call('ExecuteStatement', async () => {
      const reply = await this.#client.executeStatement('select 1');
      operation = reply.operationHandle;
      return reply;
    });
    if (!executed || operation === undefined) return false;
    const handle = operation;
    // GetOperationStatus and CloseOperation are printed only when they fail: four lines a second is noise.
    return (
      (await this.#call('GetOperationStatus', () => this.#client.getOperationStatus(handle), true)) &&
      (await this.#call('FetchResults', () => this.#client.fetchResults(handle))) &&
      (await this.#call('CloseOperation', () => this.#client.closeOperation(handle), true))
    );
  }

  /** Runs and prints one RPC; false when its session (or query) is gone or it failed. */
  async #call(rpc: string, call: () => Promise<{ status: TStatus }>, isQuietOnSuccess = false): Promise<boolean> {
    let line: string;
    let isOk = false;
    const before = this.pinnedTo;
    try {
      const reply = await call();
      const where = this.pinnedTo ?? '?';
      const hasNewPin = this.#client.lastExchange?.setCookies.some((cookie) => cookie.startsWith(`${this.#proxy.config.cookie.name}=`));
      const repinned = !hasNewPin ? '' : before === undefined ? ' (pinned)' : ` (re-pinned from ${before})`;
      if (isSuccess(reply.status)) {
        isOk = true;
        if (isQuietOnSuccess && repinned === '') return true;
        line = `${where}${repinned} ok`;
      } else {
        const message = (reply.status.errorMessage ?? `status ${reply.status.statusCode}`).trim().replace(/\s*\n\s*/g, ' ');
        line = `${where}${repinned} ${message}`;
        if (/Invalid session id|Invalid or unknown query handle/.test(message)) line += ' → opening a new session';
      }
    } catch (error) {
      line = error instanceof HttpError ? `${error.message.trim()}${error.headers['retry-after'] ? ` (Retry-After: ${error.headers['retry-after']})` : ''}` : `error: ${(error as Error).message}`;
    }
    if (!this.#isStopped) process.stdout.write(`client: ${rpc} → ${line}\n`);
    return isOk;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** How to run this same program again: the installed bin, or the TypeScript sources on the project's Node. */
function selfCommand(): string {
  const script = process.argv[1];
  if (script === undefined || !script.endsWith('.ts')) return 'impala-ha-proxy';
  // `npx node` is the project's pinned Node 24 (type stripping); the shell's own node may be older.
  return `npx node ${relative(process.cwd(), script) || script}`;
}

/** Client lines for the TCP listeners (binary HS2, TLS passed through to the coordinators). */
function tcpLines(proxy: ProxyInstance, ca: string): string[] {
  return proxy.tcpListeners.map(
    (listener) =>
      `  binary HS2 (${listener.name}, tcp://127.0.0.1:${listener.port}, the coordinators' own TLS passed through):\n` +
      `    impala-shell --protocol=hs2 --ssl --ca_cert=${ca} -i 127.0.0.1:${listener.port}\n` +
      `    python3 -c "from impala.dbapi import connect; c = connect(host='127.0.0.1', port=${listener.port}, use_ssl=True, ca_cert='${ca}', auth_mechanism='NOSASL').cursor(); c.execute('select 1'); print(c.fetchall())"`,
  );
}

function printInstructions(proxy: ProxyInstance, cluster: SimulatedCluster, certs: string): void {
  const url = new URL(proxy.url('https'));
  const host = url.hostname;
  const port = url.port;
  const ca = join(certs, 'ca.pem');
  const admin = proxy.adminUrl();
  const lines = [
    '',
    `impala-ha-proxy demo: https://${host}:${port} → ${cluster.coordinators.length} simulated coordinators (TLS bridged, verified against ${ca})`,
    ...cluster.coordinators.map((c, i) => `  ${i + 1}. ${c.name}: hs2 ${c.hs2Url}  web UI ${c.webuiUrl}  (through the proxy: ${proxy.url('https')}/ui/${i + 1}/)`),
    '',
    'Connect a client (the simulator answers any statement; try: select repeat_bytes(1000)):',
    `  impala-shell --protocol=hs2-http --ssl --ca_cert=${ca} -i ${host}:${port}`,
    '    (4.1 and later keep the impala.session.id cookie by default; if you pass --http_cookie_names, include it.',
    '     4.0 keeps only impala.auth: the proxy then routes it by the session handle in each RPC)',
    `  python3 -c "from impala.dbapi import connect; c = connect(host='${host}', port=${port}, use_http_transport=True, http_path='cliservice', use_ssl=True, ca_cert='${ca}').cursor(); c.execute('select 1'); print(c.fetchall())"`,
    `  ODBC: Host=${host};Port=${port};TransportMode=http;HTTPPath=cliservice;SSL=1;TrustedCerts=${ca};HTTPAuthCookies=impala.auth,JSESSIONID,KNOXSESSIONID,impala.session.id`,
    `  JDBC: jdbc:impala://${host}:${port}/default;TransportMode=http;httpPath=cliservice;SSL=1;SSLTrustStore=<truststore with ${ca}>`,
    ...tcpLines(proxy, ca),
    '',
    `Operate it (admin listener ${admin}):`,
    `  status page:  ${admin}/status   (JSON: ${admin}/status?format=json)`,
    `  metrics:      ${admin}/metrics`,
    `  drain one:    curl -s -X POST ${admin}/admin/coordinators/2/drain   (then .../2/enable)`,
    `  from a shell: ${selfCommand()} ctl --admin ${admin} status   (also: drain 2, enable 2)`,
    '',
    'Ctrl-C stops the demo.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
