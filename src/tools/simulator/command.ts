// `impala-ha-proxy simulate`: runs simulated coordinators in the foreground until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.ts';
import { UsageError } from '../../usage-error.ts';

export const simulateUsage = `Usage: impala-ha-proxy simulate [options]

Runs simulated Impala coordinators for demos and for trying client settings. Each serves
hs2-http, binary hs2 (impalad's port 21050: TBinaryProtocol over TCP) and a web UI.

Options:
  --coordinators N        number of coordinators (default 3)
  --tls-cert FILE         PEM certificate for every port (with --tls-key); plain HTTP and TCP without
  --tls-key FILE          PEM private key
  --hs2-http-base-port N  coordinator i listens for hs2-http on N+i (the proxy's hs2HttpPort;
                          default: ephemeral ports)
  --hs2-tcp-base-port N   coordinator i listens for binary hs2 on N+i (the proxy's hs2Port;
                          default: ephemeral ports)
  --webui-base-port N     coordinator i serves its web UI on N+i (default: ephemeral ports)
  --user NAME:PASSWORD    require LDAP-style authentication: Basic on hs2-http, SASL PLAIN on binary
                          hs2 (NOSASL without --user); repeat for more users
  --host ADDRESS          listen address (default 127.0.0.1)
  -h, --help              show this help

What impala-shell and impyla send in a session is answered as impalad does: SET, SET ALL (option,
value, level), UNSET, USE, SHOW DATABASES, select version(), query options in the OpenSession
configuration and confOverlay, live progress (GetExecSummary), profile (GetRuntimeProfile), GetLog
and cancellation. Test statements: 'select repeat_bytes(N)' returns one N-byte value,
'select range(N)' returns N rows, 'select sleep(MS)' runs for MS milliseconds; anything else
returns (coordinator name, 1).
`;

function parsePort(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${flag}: not a port: ${value}`);
  return port;
}

/** Parses argv (the arguments after `simulate`), starts the coordinators, resolves after a clean shutdown. */
export async function runSimulate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      coordinators: { type: 'string', default: '3' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'hs2-http-base-port': { type: 'string' },
      'hs2-tcp-base-port': { type: 'string' },
      'webui-base-port': { type: 'string' },
      user: { type: 'string', multiple: true },
      host: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(simulateUsage);
    return;
  }
  const count = Number(values.coordinators);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new UsageError(`--coordinators: expected 1..64, got ${values.coordinators}`);
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new UsageError('--tls-cert and --tls-key go together');
  let users: Record<string, string> | undefined;
  for (const pair of values.user ?? []) {
    const colon = pair.indexOf(':');
    if (colon <= 0) throw new UsageError(`--user: expected NAME:PASSWORD, got ${pair}`);
    (users ??= {})[pair.slice(0, colon)] = pair.slice(colon + 1);
  }
  const cluster = await startCluster({
    count,
    host: values.host,
    hs2HttpBasePort: parsePort(values['hs2-http-base-port'], '--hs2-http-base-port'),
    hs2TcpBasePort: parsePort(values['hs2-tcp-base-port'], '--hs2-tcp-base-port'),
    webuiBasePort: parsePort(values['webui-base-port'], '--webui-base-port'),
    ...(values['tls-cert'] && values['tls-key'] ? { tls: { certFile: values['tls-cert'], keyFile: values['tls-key'] } } : {}),
    ...(users ? { users } : {}),
  });
  for (const coordinator of cluster.coordinators) {
    // test/helpers/child-simulator.ts reads this line up to the web UI URL; keep that prefix.
    const tcp = `${coordinator.host}:${coordinator.hs2TcpPort} ${coordinator.isHs2TcpTls ? 'TLS ' : ''}${coordinator.isHs2TcpSasl ? 'SASL PLAIN' : 'NOSASL'}`;
    process.stdout.write(`${coordinator.name}: hs2-http ${coordinator.hs2Url}/cliservice  web UI ${coordinator.webuiUrl}/  hs2 ${tcp}\n`);
  }
  process.stdout.write('Press Ctrl-C to stop.\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await cluster.close();
  process.stdout.write('Simulated coordinators stopped.\n');
}
