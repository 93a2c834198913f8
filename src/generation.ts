// Generation lifetime (one per config load): wiring only — the validated config, the token table
// and each coordinator's pools, the web UI agents, the probe clients, the balancing policy and the
// hs2 handler that reads them. Built and validated whole before it serves; what is known at run
// time about coordinators lives in the process-lifetime registry, so nothing is copied in.
import { createPolicy, type Policy } from './balancer/index.ts';
import type { Config, TcpListenerConfig } from './config/schema.ts';
import { Hs2Handler } from './hs2/handler.ts';
import type { OutcomeSink } from './hs2/outcome.ts';
import type { SessionMap } from './hs2/session-map.ts';
import type { Logger } from './log.ts';
import { frontTlsOptions, needsFrontTls, needsUpstreamTls, upstreamTlsOptions, type FrontTlsOptions, type UpstreamTlsOptions } from './tls/files.ts';
import { CoordinatorSet } from './upstream/coordinator-set.ts';
import type { HealthMonitor } from './upstream/health-monitor.ts';
import { Prober } from './upstream/prober.ts';
import type { CoordinatorRegistry } from './upstream/registry.ts';
import { WebUiProxy } from './webui/index.ts';

export interface Generation {
  readonly number: number;
  readonly loadedAtMs: number;
  readonly config: Config;
  readonly coordinators: CoordinatorSet;
  readonly policy: Policy;
  readonly prober: Prober;
  readonly hs2: Hs2Handler;
  readonly webui: WebUiProxy;
  /** Each TCP listener's settings and balancing policy, by listener name. */
  readonly tcp: ReadonlyMap<string, { readonly config: TcpListenerConfig; readonly policy: Policy }>;
  /** Front-end TLS options, already turned into a context once here, so swapping them in cannot fail. */
  readonly frontTls: FrontTlsOptions | undefined;
  /** TLS to the coordinators (hs2 pools, web UI agents, probes, TCP bridge), read once. */
  readonly upstreamTls: UpstreamTlsOptions | undefined;
}

/** The process-lifetime parts a generation is wired to. */
export interface ProcessParts {
  readonly registry: CoordinatorRegistry;
  readonly sessions: SessionMap;
  readonly monitor: HealthMonitor;
  /** The generation serving now: replays of requests from older generations go there. */
  readonly current: () => Generation;
  readonly finish: OutcomeSink;
  readonly secrets: (config: Config) => readonly string[];
  readonly logger: Logger;
}

/** Reads every file and builds every part; throws (having released what it built) when any fails. */
export function buildGeneration(config: Config, number: number, parts: ProcessParts): Generation {
  // Everything that reads files or can throw comes first, before a pool, a timer or a socket exists;
  // the TLS material is read here once and handed to every part that connects or listens.
  // frontTlsOptions builds the secure context: a bad PEM, key or passphrase throws here.
  const frontTls = needsFrontTls(config) ? frontTlsOptions(config.tls) : undefined;
  const upstreamTls = needsUpstreamTls(config) ? upstreamTlsOptions(config.upstream.tls) : undefined;
  const policy = createPolicy(config.balancer.policy);
  const tcp = new Map(config.tcp.map((listener) => [listener.name, { config: listener, policy: createPolicy(listener.policy) }]));
  const coordinators = new CoordinatorSet({ config, secrets: parts.secrets(config), registry: parts.registry, tls: upstreamTls, logger: parts.logger });
  let prober: Prober | undefined;
  let hs2: Hs2Handler | undefined;
  try {
    prober = new Prober(coordinators.all, { config: config.health, tls: upstreamTls, monitor: parts.monitor });
    // Owns a timer (its IdleWatch) from here on.
    hs2 = new Hs2Handler({ config, coordinators, routing: parts.current, sessions: parts.sessions, monitor: parts.monitor, finish: parts.finish, logger: parts.logger });
    const webui = new WebUiProxy({ config, coordinators, tls: upstreamTls, logger: parts.logger });
    return { number, loadedAtMs: Date.now(), config, coordinators, policy, prober, hs2, webui, tcp, frontTls, upstreamTls };
  } catch (error) {
    // What was built, released in closeGeneration's order; nothing has served yet.
    void prober?.close();
    void coordinators.destroy();
    hs2?.close();
    throw error;
  }
}

/**
 * Stops probing at once; the pools close once the generation's requests are done: a request that
 * arrived before a reload may still be reading its body, and dispatches to this generation's pools.
 */
export async function closeGeneration(generation: Generation, isGraceful: boolean): Promise<void> {
  await generation.prober.close();
  if (isGraceful) {
    await generation.hs2.whenIdle();
    // A shutdown deadline may destroy the pools while they close: that is the expected end.
    await generation.coordinators.close().catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'UND_ERR_DESTROYED') throw error;
    });
  } else await generation.coordinators.destroy();
  generation.hs2.close();
  // After the pools: a web UI page still loading finishes first.
  generation.webui.close();
}
