// The coordinators of one configuration generation, with the lookups routing needs. Built once per
// config load (start, SIGHUP); the hot path only reads it.
import type { Config } from '../config/schema.ts';
import { formatSetCookie } from '../affinity/cookie-header.ts';
import { TokenTable } from '../affinity/token.ts';
import type { Logger } from '../log.ts';
import { upstreamTlsOptions } from '../tls/files.ts';
import { Coordinator } from './coordinator.ts';

export class CoordinatorSet {
  readonly all: readonly Coordinator[];
  readonly tokens: TokenTable;
  readonly #byName: Map<string, Coordinator>;

  /**
   * `formerNames`: coordinators of earlier generations (reloads). Their tokens still resolve, so a
   * client pinned to a removed coordinator is re-pinned as `removed`, not treated as a forgery.
   */
  constructor(config: Config, secrets: readonly string[], logger: Logger, formerNames: Iterable<string> = []) {
    this.tokens = new TokenTable(secrets, [...new Set([...config.coordinators.map((c) => c.name), ...formerNames])]);
    const tls = config.upstream.mode === 'tls' || config.upstream.webuiMode === 'tls' ? upstreamTlsOptions(config.upstream.tls) : undefined;
    const webuiTls = (config.upstream.webuiMode ?? config.upstream.mode) === 'tls';
    const cookie = { name: config.cookie.name, maxAgeSec: config.cookie.maxAgeSec };
    this.all = config.coordinators.map((coordinatorConfig, i) => {
      const token = this.tokens.tokenFor(coordinatorConfig.name)!;
      return new Coordinator({
        config: coordinatorConfig,
        index: i + 1,
        upstream: config.upstream,
        tls,
        webuiTls,
        setCookie: {
          plain: formatSetCookie(token, { ...cookie, isSecure: false }),
          secure: formatSetCookie(token, { ...cookie, isSecure: true }),
        },
        logger,
      });
    });
    this.#byName = new Map(this.all.map((coordinator) => [coordinator.name, coordinator]));
  }

  byName(name: string): Coordinator | undefined {
    return this.#byName.get(name);
  }

  /** `/ui/<n>` (1-based) or `/ui/<name>`. */
  byIndexOrName(key: string): Coordinator | undefined {
    if (/^[1-9]\d{0,3}$/.test(key)) return this.all[Number(key) - 1];
    return this.#byName.get(key);
  }

  /** Coordinators that may take new clients, minus those already tried for this request. */
  available(exclude?: ReadonlySet<Coordinator>): Coordinator[] {
    const result: Coordinator[] = [];
    for (const coordinator of this.all) {
      if (coordinator.isAvailable && !exclude?.has(coordinator)) result.push(coordinator);
    }
    return result;
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((coordinator) => coordinator.close()));
  }

  async destroy(): Promise<void> {
    await Promise.all(this.all.map((coordinator) => coordinator.destroy()));
  }
}
