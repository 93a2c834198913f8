// One call starts what most integration tests need: simulated coordinators over TLS and a real
// proxy in front of them (HTTPS front end, TLS bridge verified against the suite's CA), with the
// proxy's log captured. Everything listens on 127.0.0.1 port 0; close() releases it all.
import type { ConfigInput } from '../../src/config/schema.ts';
import { validateConfig } from '../../src/config/load.ts';
import { startProxy, type ProxyInstance } from '../../src/main.ts';
import { startCluster, type ClusterOptions, type SimulatedCluster } from '../../src/tools/simulator/index.ts';
import { certPath } from './certs.ts';
import { LogSink } from './log-sink.ts';

export interface HarnessOptions {
  readonly coordinators?: number;
  readonly cluster?: Omit<ClusterOptions, 'count' | 'tls'>;
  /** Merged over the harness defaults (shallow per top-level key; `upstream` one level deeper). */
  readonly config?: Partial<ConfigInput>;
  readonly logLevel?: 'info' | 'debug' | 'warn';
}

export interface Harness {
  readonly cluster: SimulatedCluster;
  readonly proxy: ProxyInstance;
  readonly log: LogSink;
  /** https://127.0.0.1:<port> of the proxy. */
  readonly url: string;
  /** The suite CA, for clients. */
  readonly ca: string;
  close(): Promise<void>;
}

export const coordinatorTls = { certFile: certPath('coordinator.pem'), keyFile: certPath('coordinator-key.pem') };

/**
 * Health checks for tests that are not about health: probes a loaded machine meets with room to
 * spare (three misses of 900 ms before a coordinator is down), so a flap never reads as the failure
 * the test looks for. The harness's own are faster, for failover tests.
 */
export const steadyHealth = { intervalMs: 1000, timeoutMs: 900, rise: 2, fall: 3 } as const;

export function harnessConfig(cluster: SimulatedCluster, overrides: Partial<ConfigInput> = {}): ConfigInput {
  const { upstream, ...rest } = overrides;
  return {
    listen: { https: { host: '127.0.0.1', port: 0 } },
    tls: { certFile: certPath('proxy.pem'), keyFile: certPath('proxy-key.pem') },
    coordinators: cluster.coordinators.map((c) => ({ name: c.name, host: '127.0.0.1', hs2HttpPort: c.hs2HttpPort, hs2Port: c.hs2TcpPort, webuiPort: c.webuiPort })),
    upstream: { mode: 'tls', tls: { caFile: certPath('ca.pem') }, ...upstream },
    cookie: { secrets: ['test-secret-1'] },
    // Fast health checks keep failover tests short (the defaults are tested on their own), with a
    // probe timeout a loaded 2-core machine still meets: the simulators answer from this process, so
    // when it gets little CPU their answers are slow. 150 ms flapped coordinators under load, and
    // 250 ms did too with the machine at a load of 6 (five suites' worth of processes).
    health: { intervalMs: 500, timeoutMs: 450, rise: 2, fall: 2 },
    admin: null,
    ...rest,
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const cluster = await startCluster({ count: options.coordinators ?? 3, tls: coordinatorTls, ...options.cluster });
  const log = new LogSink(options.logLevel ?? 'info');
  let proxy: ProxyInstance;
  try {
    proxy = await startProxy(validateConfig(harnessConfig(cluster, options.config)), log.logger);
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return {
    cluster,
    proxy,
    log,
    url: proxy.url('https'),
    ca: certPath('ca.pem'),
    async close() {
      await proxy.close();
      await cluster.close();
    },
  };
}
