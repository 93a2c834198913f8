// `npm start` / `impala-ha-proxy demo`: the proxy over TLS in front of three simulated coordinators
// (TLS bridged, verified against a dev CA), and the command lines that connect real clients to it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { validateConfig } from './config/load.ts';
import { createLogger } from './log.ts';
import { startProxy, type ProxyInstance } from './main.ts';
import { startCluster, type SimulatedCluster } from './simulator/index.ts';

export const demoUsage = `Usage: impala-ha-proxy demo [--port N] [--failover] [--log-level LEVEL]
  --port N        HTTPS port of the proxy (default 8443; 0 = any free port)
  --failover      stop the coordinator the first client is pinned to after a few seconds, and
                  restart it later, to watch health checks and re-pinning in the log
  --log-level L   default info`;

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

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
    options: { port: { type: 'string' }, failover: { type: 'boolean' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(`${demoUsage}\n`);
    return 0;
  }
  const certs = ensureDevCerts();
  const cluster = await startCluster({ count: 3, namePrefix: 'impalad', tls: { certFile: join(certs, 'coordinator.pem'), keyFile: join(certs, 'coordinator-key.pem') } });
  const port = values.port === undefined ? 8443 : Number(values.port);
  const config = validateConfig(
    {
      listen: { https: { host: '127.0.0.1', port } },
      tls: { certFile: join(certs, 'proxy.pem'), keyFile: join(certs, 'proxy-key.pem') },
      coordinators: cluster.coordinators.map((c) => ({ name: c.name, host: '127.0.0.1', hs2Port: c.hs2Port, webuiPort: c.webuiPort })),
      upstream: { mode: 'tls', tls: { caFile: join(certs, 'ca.pem') } },
      // A fixed demo secret keeps pins across demo restarts; production takes it from a file or env.
      cookie: { secrets: ['impala-ha-proxy-demo-secret-not-for-production'] },
      admin: null,
      log: { level: values['log-level'] ?? 'info' },
    },
    'embedded demo config',
  );
  const logger = createLogger(config.log.level);
  let proxy: ProxyInstance;
  try {
    proxy = await startProxy(config, logger);
  } catch (error) {
    await cluster.close();
    throw error;
  }
  printInstructions(proxy, cluster, certs);
  const timers: NodeJS.Timeout[] = [];
  if (values.failover) timers.push(...scheduleFailover(cluster, proxy));

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
  await proxy.close();
  await cluster.close();
  return 0;
}

function scheduleFailover(cluster: SimulatedCluster, proxy: ProxyInstance): NodeJS.Timeout[] {
  const victim = cluster.coordinators[0]!;
  const say = (text: string) => process.stderr.write(`\n*** demo: ${text}\n`);
  return [
    setTimeout(() => {
      say(`stopping ${victim.name}: its clients get "Invalid session id" from a peer and reconnect there`);
      void victim.stop();
    }, 8_000),
    setTimeout(() => {
      say(`restarting ${victim.name}: it takes new sessions after ${proxy.config.health.rise} good health checks`);
      void victim.start();
    }, 30_000),
  ];
}

function printInstructions(proxy: ProxyInstance, cluster: SimulatedCluster, certs: string): void {
  const url = new URL(proxy.url('https'));
  const host = url.hostname;
  const port = url.port;
  const ca = join(certs, 'ca.pem');
  const lines = [
    '',
    `impala-ha-proxy demo: https://${host}:${port} → ${cluster.coordinators.length} simulated coordinators (TLS bridged, verified against ${ca})`,
    ...cluster.coordinators.map((c, i) => `  ${i + 1}. ${c.name}: hs2 ${c.hs2Url}  web UI ${c.webuiUrl}  (through the proxy: ${proxy.url('https')}/ui/${i + 1}/)`),
    '',
    'Connect a client (the simulator answers any statement; try: select repeat_bytes(1000)):',
    `  impala-shell --protocol=hs2-http --ssl --ca_cert=${ca} -i ${host}:${port}`,
    '    (impala-shell 4.1-4.4: add --http_cookie_names=impala.auth,impala.session.id)',
    `  python3 -c "from impala.dbapi import connect; c = connect(host='${host}', port=${port}, use_http_transport=True, http_path='cliservice', use_ssl=True, ca_cert='${ca}').cursor(); c.execute('select 1'); print(c.fetchall())"`,
    `  ODBC: Host=${host};Port=${port};TransportMode=http;HTTPPath=cliservice;SSL=1;TrustedCerts=${ca};HTTPAuthCookies=impala.auth,JSESSIONID,KNOXSESSIONID,impala.session.id`,
    `  JDBC: jdbc:impala://${host}:${port}/default;TransportMode=http;httpPath=cliservice;SSL=1;SSLTrustStore=<truststore with ${ca}>`,
    '',
    'Ctrl-C stops the demo.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
