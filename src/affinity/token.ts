// The affinity cookie value: an opaque token per coordinator name, keyed by a secret shared by
// every replica (DESIGN §3). All tokens are computed once at config load; a request costs one
// Map lookup, never an HMAC.
import { createHmac } from 'node:crypto';

const version = 'v1';
/** 'v1.' + base64url(16 bytes). Anything longer is not ours and is not even looked up. */
export const tokenLength = version.length + 1 + 22;

export function makeToken(secret: string, coordinatorName: string): string {
  const mac = createHmac('sha256', secret).update(`${version}:${coordinatorName}`).digest();
  return `${version}.${mac.subarray(0, 16).toString('base64url')}`;
}

export interface TokenMatch {
  readonly name: string;
  /** Signed with the current (first) secret; otherwise it is re-issued. */
  readonly isCurrent: boolean;
}

/** Maps tokens (made with every configured secret) back to coordinator names. */
export class TokenTable {
  readonly #byToken = new Map<string, TokenMatch>();
  readonly #current = new Map<string, string>();

  constructor(secrets: readonly string[], coordinatorNames: readonly string[]) {
    if (secrets.length === 0) throw new Error('TokenTable needs at least one secret');
    for (const name of coordinatorNames) {
      secrets.forEach((secret, i) => {
        const token = makeToken(secret, name);
        if (i === 0) this.#current.set(name, token);
        if (!this.#byToken.has(token)) this.#byToken.set(token, { name, isCurrent: i === 0 });
      });
    }
  }

  tokenFor(name: string): string | undefined {
    return this.#current.get(name);
  }

  lookup(token: string): TokenMatch | undefined {
    return token.length === tokenLength ? this.#byToken.get(token) : undefined;
  }
}
