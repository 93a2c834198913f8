// Reads our affinity cookie out of a request's Cookie header and removes it, in one pass.
// impalad must never see it: a Cookie header without a valid impala.auth counts as a failed
// cookie authentication and is logged whole (research/impala-protocol.md §3, "Cookies").

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
  // Fast path: most requests from a pinned client carry our cookie, but a request without it and
  // without an auth cookie to strip needs no parsing at all.
  if (!stripAuth && header.indexOf(name) === -1) return { value: undefined, isMalformed: false, forwardHeader: header };

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
 */
export function formatSetCookie(token: string, options: SetCookieOptions): string {
  let cookie = `${options.name}=${token}; Path=/; HttpOnly`;
  if (options.isSecure) cookie += '; Secure';
  if (options.maxAgeSec !== null) cookie += `; Max-Age=${options.maxAgeSec}`;
  return cookie;
}
