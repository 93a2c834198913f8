// The coordinators of one configuration generation, with the lookups routing needs. Built once per
// config load (start, SIGHUP); the hot path only reads it.
import type { Config } from '../config/schema.ts';
import { formatSetCookie } from '../affinity/cookie-header.ts';
import { TokenTable } from '../affinity/token.ts';
import type { Logger } from '../log.ts';
import type { UpstreamTlsOptions } from '../tls/files.ts';
import { Coordinator } from './coordinator.ts';
import type { CoordinatorRegistry } from './registry.ts';

export interface CoordinatorSetOptions {
  readonly config: Config;
  readonly secrets: readonly string[];
  readonly registry: CoordinatorRegistry;
  /** Upstream TLS material, read and validated once for the generation (hs2 pools). */
  readonly tls: UpstreamTlsOptions | undefined;
  readonly logger: Logger;
}

export class CoordinatorSet {
  readonly all: readonly Coordinator[];
  readonly tokens: TokenTable;
  readonly #byName: Map<string, Coordinator>;
  readonly #hasBackups: boolean;

  constructor(options: CoordinatorSetOptions) {
    const { config, registry, logger } = options;
    // Obtained first: the token table is built from every name the registry has seen, these included.
    const states = config.coordinators.map((coordinator) => registry.obtain(coordinator.name));
    // Names of earlier generations stay in the table: a client pinned to a coordinator removed by a
    // reload is re-pinned as `removed`, not treated as a forgery.
    this.tokens = new TokenTable(options.secrets, [...registry.everConfigured]);
    const webuiTls = (config.upstream.webuiMode ?? config.upstream.mode) === 'tls';
    const cookie = { name: config.cookie.name, maxAgeSec: config.cookie.maxAgeSec };
    this.all = config.coordinators.map((coordinatorConfig, i) => {
      const token = this.tokens.tokenFor(coordinatorConfig.name)!;
      return new Coordinator({
        config: coordinatorConfig,
        index: i + 1,
        state: states[i]!,
        upstream: config.upstream,
        tls: options.tls,
        webuiTls,
        setCookie: {
          plain: formatSetCookie(token, { ...cookie, isSecure: false }),
          secure: formatSetCookie(token, { ...cookie, isSecure: true }),
        },
        logger,
      });
    });
    this.#byName = new Map(this.all.map((coordinator) => [coordinator.name, coordinator]));
    this.#hasBackups = this.all.some((coordinator) => coordinator.isBackup);
  }

  byName(name: string): Coordinator | undefined {
    return this.#byName.get(name);
  }

  /** `/ui/<n>` (1-based) or `/ui/<name>`. */
  byIndexOrName(key: string): Coordinator | undefined {
    if (/^[1-9]\d{0,3}$/.test(key)) return this.all[Number(key) - 1];
    return this.#byName.get(key);
  }

  /**
   * Coordinators that may take new clients, minus those already tried: the available primaries,
   * or, only while none is available, the available backups (HAProxy's `backup`; DESIGN §11).
   */
  available(exclude?: readonly string[]): Coordinator[] {
    const primaries = this.#collect(false, exclude);
    return primaries.length > 0 || !this.#hasBackups ? primaries : this.#collect(true, exclude);
  }

  #collect(isBackup: boolean, exclude: readonly string[] | undefined): Coordinator[] {
    const result: Coordinator[] = [];
    for (const coordinator of this.all) {
      if (coordinator.isBackup === isBackup && coordinator.isAvailable && !exclude?.includes(coordinator.name)) result.push(coordinator);
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
