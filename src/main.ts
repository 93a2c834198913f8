// Composition root: builds every long-lived part from a Config, wires them, and owns their
// shutdown. Nothing else creates servers, pools or timers.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createPolicy } from './balancer/index.ts';
import type { Config } from './config/schema.ts';
import { Hs2Proxy } from './hs2/proxy.ts';
import { SessionMap } from './hs2/session-map.ts';
import type { Logger } from './log.ts';
import { closeListeners, startListeners, type Listener } from './server.ts';
import { CoordinatorSet } from './upstream/coordinator-set.ts';
import { HealthChecker } from './upstream/health.ts';
import { upstreamTlsOptions } from './tls/files.ts';

export interface ProxyInstance {
  readonly config: Config;
  readonly listeners: readonly Listener[];
  readonly coordinators: CoordinatorSet;
  readonly sessions: SessionMap;
  readonly health: HealthChecker;
  readonly hs2: Hs2Proxy;
  /** Base URL of the first listener of a kind, e.g. https://127.0.0.1:8443 */
  url(kind?: 'https' | 'http'): string;
  close(): Promise<void>;
}

export async function startProxy(config: Config, logger: Logger): Promise<ProxyInstance> {
  const secrets = cookieSecrets(config, logger);
  const coordinators = new CoordinatorSet(config, secrets, logger);
  const sessions = new SessionMap({
    idleTtlMs: config.sessions.idleTtlMs,
    maxEntries: config.sessions.maxEntries,
    onCountChange: (name, delta) => {
      const coordinator = coordinators.byName(name);
      if (coordinator !== undefined) coordinator.sessions += delta;
    },
  });
  const health = new HealthChecker(coordinators.all, {
    config: config.health,
    tls: upstreamTlsOptions(config.upstream.tls),
    logger,
    onChange(coordinator) {
      // A coordinator that went down lost its sessions; its clients re-pin as they come back.
      if (coordinator.health === 'down') sessions.forgetCoordinator(coordinator.name);
    },
  });
  const hs2 = new Hs2Proxy({
    config,
    coordinators,
    sessions,
    policy: createPolicy(config.balancer.policy),
    logger,
    onUpstreamFailure: (coordinator, error) => health.reportFailure(coordinator, error),
  });
  const router = {
    handle(req: IncomingMessage, res: ServerResponse): void {
      void hs2.handle(req, res).catch((error: unknown) => {
        logger.error({ err: error }, 'unexpected error in the hs2 path');
        if (!res.headersSent) hs2.respondText(res, 500, 'internal proxy error\n');
        else res.destroy();
      });
    },
  };
  let listeners: Listener[];
  try {
    listeners = await startListeners(config, router, logger);
  } catch (error) {
    await health.close();
    sessions.close();
    await coordinators.destroy();
    throw error;
  }

  health.start();
  let closing: Promise<void> | undefined;
  return {
    config,
    listeners,
    coordinators,
    sessions,
    health,
    hs2,
    url(kind) {
      const listener = listeners.find((l) => kind === undefined || l.kind === kind);
      if (listener === undefined) throw new Error(`no ${kind} listener`);
      const host = listener.host === '0.0.0.0' || listener.host === '::' ? '127.0.0.1' : listener.host;
      return `${listener.kind}://${host.includes(':') ? `[${host}]` : host}:${listener.port}`;
    },
    close() {
      closing ??= (async () => {
        await closeListeners(listeners, config.server.shutdownTimeoutMs);
        await health.close();
        sessions.close();
        await coordinators.close();
        logger.info({ event: 'closed' }, 'proxy closed');
      })();
      return closing;
    },
  };
}

function cookieSecrets(config: Config, logger: Logger): string[] {
  if (config.cookie.secrets.length > 0) return [...config.cookie.secrets];
  logger.warn(
    { event: 'random-cookie-secret' },
    'cookie.secrets is not set: using a random secret. Pins will NOT survive a restart and will NOT be shared between replicas; set cookie.secrets (from a file or an environment variable) in production.',
  );
  return [randomBytes(32).toString('base64url')];
}
