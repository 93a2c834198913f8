// impalad's HTTP authentication as the hs2-http port and the web UI do it (research §3,
// be/src/rpc/authentication-util.cc, be/src/transport/THttpServer.cpp headersDone):
// cookie first, then Authorization; a bad cookie queues a delete cookie and falls through.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const AUTH_COOKIE = 'impala.auth';
/** GetDeleteCookie(): no Path, like the issued cookie. */
export const DELETE_AUTH_COOKIE = `${AUTH_COOKIE}=;HttpOnly;Max-Age=0`;
/** The user a `Negotiate` header authenticates as (a stand-in for SPNEGO; the token is not checked). */
export const KERBEROS_USER = 'kerberos-user';

/** AuthenticateCookie looks at no more than the first 5 cookies of the header. */
const MAX_COOKIES_EXAMINED = 5;

/** Signs and verifies `impala.auth` values with a per-instance random key ("Using auto-generated cookie secret"). */
export class AuthCookieSigner {
  readonly #key = randomBytes(32);
  readonly #maxAgeSeconds: number;

  constructor(maxAgeSeconds = 86_400) {
    this.#maxAgeSeconds = maxAgeSeconds;
  }

  #sign(payload: string): string {
    // Standard base64 with padding: 44 characters, like impalad's Base64Encode of the HMAC.
    return createHmac('sha256', this.#key).update(payload).digest('base64');
  }

  /** The full Set-Cookie value: `impala.auth=<sig>&u=&t=&r=&a=;HttpOnly;Max-Age=` (no Path, no Domain). */
  issue(user: string, mechanism: string): string {
    // t is a monotonic millisecond clock, like impalad's MonotonicMillis() (time since boot there).
    const payload = `u=${user}&t=${Math.floor(performance.now())}&r=${randomBytes(8).readBigUInt64BE()}&a=${mechanism}`;
    return `${AUTH_COOKIE}=${this.#sign(payload)}&${payload};HttpOnly;Max-Age=${this.#maxAgeSeconds}`;
  }

  /** Verifies the first `impala.auth` among the first 5 cookies of a Cookie header. */
  verify(cookieHeader: string): { user: string } | { reason: string } {
    const cookies = cookieHeader.split(';').slice(0, MAX_COOKIES_EXAMINED);
    const found = cookies.map((cookie) => cookie.trim()).find((cookie) => cookie.startsWith(`${AUTH_COOKIE}=`));
    if (found === undefined) return { reason: `Did not find expected cookie name: ${AUTH_COOKIE}` };
    let value = found.slice(AUTH_COOKIE.length + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    const separator = value.indexOf('&');
    if (separator < 0) return { reason: 'The cookie has an invalid format.' };
    const signature = Buffer.from(value.slice(0, separator));
    const payload = value.slice(separator + 1);
    const expected = Buffer.from(this.#sign(payload));
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      return { reason: 'The signature is incorrect.' };
    }
    const fields = new URLSearchParams(payload);
    const user = fields.get('u');
    const createdMs = Number(fields.get('t'));
    if (!user || !Number.isFinite(createdMs)) return { reason: 'The cookie has an invalid format.' };
    if (performance.now() - createdMs > this.#maxAgeSeconds * 1000) return { reason: 'Cookie is past its max lifetime.' };
    return { user };
  }
}

export type AuthResult =
  | { ok: true; user: string; setCookies: string[]; viaCookie: boolean }
  | { ok: false; setCookies: string[]; reason: string };

export interface AuthCounters {
  cookieAuthFailures: number;
  cookieAuthSuccesses: number;
  basicAuthFailures: number;
  basicAuthSuccesses: number;
}

/** Decodes `Authorization: Basic base64(user:password)`; undefined when absent or malformed. */
export function parseBasicAuthorization(header: string | undefined): { user: string; password: string } | undefined {
  const match = header && /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * One request's authentication. A request that passes on its cookie gets no new cookie; a
 * successful Basic/Negotiate gets one; a failed cookie queues the delete cookie first, so a
 * Basic client receives delete-then-new, in that order.
 */
export function authenticate(
  headers: IncomingHttpHeaders,
  users: ReadonlyMap<string, string>,
  signer: AuthCookieSigner,
  counters: AuthCounters,
): AuthResult {
  const setCookies: string[] = [];
  const cookieHeader = headers.cookie;
  if (cookieHeader !== undefined && cookieHeader !== '') {
    const verdict = signer.verify(cookieHeader);
    if ('user' in verdict) {
      counters.cookieAuthSuccesses++;
      return { ok: true, user: verdict.user, setCookies, viaCookie: true };
    }
    counters.cookieAuthFailures++;
    setCookies.push(DELETE_AUTH_COOKIE);
  }
  const authorization = headers.authorization;
  if (authorization && /^Negotiate(\s|$)/i.test(authorization)) {
    setCookies.push(signer.issue(KERBEROS_USER, 'krb5'));
    return { ok: true, user: KERBEROS_USER, setCookies, viaCookie: false };
  }
  const basic = parseBasicAuthorization(authorization);
  if (basic && users.has(basic.user) && users.get(basic.user) === basic.password) {
    counters.basicAuthSuccesses++;
    setCookies.push(signer.issue(basic.user, 'basic'));
    return { ok: true, user: basic.user, setCookies, viaCookie: false };
  }
  if (basic) counters.basicAuthFailures++;
  return { ok: false, setCookies, reason: basic ? 'invalid credentials' : 'no credentials' };
}
