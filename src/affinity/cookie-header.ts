// Reads our affinity cookie out of a request's Cookie header and removes it, in one pass.
// impalad must never see it: a Cookie header without a valid impala.auth counts as a failed
// cookie authentication and is logged whole (research/impala-protocol.md §3, "Cookies").
// Our Set-Cookie is written once per coordinator at config load with the `cookie` package, which
// validates the name and value as it serialises; the per-request Cookie parsing stays here, a
// single pass that also removes what it finds (cookie's parse builds an object of every cookie).
import { serialize } from 'cookie';

export interface AffinityCookie {
  /** The single value sent, or undefined when absent or ambiguous. */
  readonly value: string | undefined;
  /** The cookie was sent more than once, or with an empty value: treat as invalid. */
  readonly isMalformed: boolean;
  /** The Cookie header to forward, without our cookie; undefined when nothing is left. */
  readonly forwardHeader: string | undefined;
}

const absent: AffinityCookie = { value: undefined, isMalformed: false, forwardHeader: undefined };

/**
 * `header` is the Cookie header (several Cookie headers already joined with "; " by Node).
 * `stripAuth` also drops impala.auth, for a request re-pinned away from the coordinator that minted it.
 */
export function takeAffinityCookie(header: string | undefined, name: string, stripAuth = false): AffinityCookie {
  if (header === undefined || header === '') return absent;
  // Fast path: most requests from a pinned client carry our cookie, but a request without it,
  // without an auth cookie to strip and without the SameSite pseudo-cookie (below) needs no parsing.
  if (!stripAuth && header.indexOf(name) === -1 && header.indexOf('SameSite') === -1) return { value: undefined, isMalformed: false, forwardHeader: header };

  let value: string | undefined;
  let count = 0;
  let kept = '';
  for (const part of header.split(';')) {
    const pair = part.trim();
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = equals === -1 ? pair : pair.slice(0, equals).trim();
    if (key === name) {
      count += 1;
      value = unquote(equals === -1 ? '' : pair.slice(equals + 1).trim());
      continue;
    }
    if (stripAuth && key === 'impala.auth') continue;
    // Python ≤ 3.7 (and 2.7) SimpleCookie reads our `SameSite=Strict` attribute as a cookie of its
    // own, which a client that keeps every cookie (impala-shell ≥ 4.5, impyla ≥ 0.20) sends back.
    if (key === 'SameSite') continue;
    kept = kept === '' ? pair : `${kept}; ${pair}`;
  }
  const isMalformed = count > 1 || (count === 1 && value === '');
  return {
    value: isMalformed ? undefined : value,
    isMalformed,
    forwardHeader: kept === '' ? undefined : kept,
  };
}

function unquote(value: string): string {
  return value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34 ? value.slice(1, -1) : value;
}

export interface SetCookieOptions {
  readonly name: string;
  readonly isSecure: boolean;
  readonly maxAgeSec: number | null;
}

/**
 * Path=/ because impyla matches the cookie Path against its http_path; never Partitioned (Python's
 * SimpleCookie drops the whole cookie) and never Expires (impyla ignores it).
 *
 * SameSite=Strict: HS2 clients are not browsers and ignore it (impyla and impala-shell parse it and
 * never look at it: research/impala-protocol.md §1), but the client listener also serves /ui, so a
 * browser that somehow holds the cookie never sends it on a cross-site request. Checked with
 * SimpleCookie on Python 2.7, 3.6, 3.7, 3.8, 3.11, 3.13: 3.8+ parse it as an attribute; older ones
 * keep our cookie (value, Path, Secure intact, as long as SameSite comes last) and read
 * `SameSite=Strict` as one more cookie, which takeAffinityCookie drops when it comes back.
 * The `cookie` package writes SameSite last.
 */
export function formatSetCookie(token: string, options: SetCookieOptions): string {
  return serialize(options.name, token, {
    // Tokens are base64url: sent as they are, and the package throws if one ever is not a valid value.
    encode: sentAsIs,
    ...(options.maxAgeSec !== null && { maxAge: options.maxAgeSec }),
    path: '/',
    httpOnly: true,
    secure: options.isSecure,
    sameSite: 'strict',
  });
}

function sentAsIs(value: string): string {
  return value;
}
