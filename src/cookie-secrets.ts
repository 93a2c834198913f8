// The cookie secrets of a config. Without configured ones, a random secret is made once and kept
// across reloads, so pins survive a reload; with workers the primary makes it and hands it to every
// worker, so that all of them sign and verify the same tokens.
import { randomBytes } from 'node:crypto';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';

export class CookieSecrets {
  readonly #logger: Logger;
  #random: string | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** The random secret, once one was made. */
  get random(): string | undefined {
    return this.#random;
  }

  /** The secrets that sign and verify pins under `config`: the first signs, all verify. */
  readonly of = (config: Config): readonly string[] => (config.cookie.secrets.length > 0 ? config.cookie.secrets : [(this.#random ??= randomCookieSecret(this.#logger))]);
}

function randomCookieSecret(logger: Logger): string {
  logger.warn(
    { event: 'random-cookie-secret' },
    'cookie.secrets is not set: using a random secret. Pins will NOT survive a restart and will NOT be shared between replicas; set cookie.secrets (from a file or an environment variable) in production.',
  );
  return randomBytes(32).toString('base64url');
}
