// Validates the request target of an hs2 request before anything is built from it (issue 10 item 2).
// The proxy forwards in origin-form only (RFC 9112 §3.2.1: absolute-path [ "?" query ]); an
// absolute-form http(s) target (§3.2.2, which a server MUST accept) is rewritten to origin-form and
// its authority ignored: the route comes from the cookie and the Thrift body, never from the URL.
// Anything else (asterisk-form `*`, authority-form, other schemes, garbage) is the client's error.
//
// Whatever this lets through must also pass undici's synchronous checks, or the dispatch throws and
// the proxy would blame a coordinator for it. undici 8.12 lib/core/request.js:
//
//   // Verifies that a given path is valid does not contain control chars \x00 to \x20
//   const invalidPathRegex = /[^\u0021-\u00ff]/
//   ...
//   if (typeof path !== 'string') {
//     throw new InvalidArgumentError('path must be a string')
//   } else if (
//     path[0] !== '/' &&
//     !(path.startsWith('http://') || path.startsWith('https://')) &&
//     method !== 'CONNECT'
//   ) {
//     throw new InvalidArgumentError('path must be an absolute URL or start with a slash')
//   } else if (invalidPathRegex.test(path)) {
//     throw new InvalidArgumentError('invalid request path')
//   }
//
// This is stricter: an origin-form path always starts with "/" and holds visible ASCII only
// (0x21–0x7E; undici would also pass 0x7F–0xFF, which RFC 3986 never allows unencoded), and has
// no "#" (a fragment is never sent, RFC 9110 §7.1). test/unit/request-target.test.ts checks every
// accepted target against undici's own Request constructor.

export type RequestTarget =
  | { readonly kind: 'ok'; /** Origin-form: "/" path [ "?" query ], to forward as is. */ readonly path: string }
  | { readonly kind: 'invalid'; /** Short, for the 400 body and the log. */ readonly reason: string };

/**
 * RFC 9112 §3: "It is RECOMMENDED that all HTTP senders and recipients support, at a minimum,
 * request-line lengths of 8000 octets." hs2 clients send `/cliservice` or `/` with a short query.
 */
export const maxRequestTargetLength = 8000;

/**
 * An origin-form target: "/" then visible ASCII other than "#". One charCodeAt pass; no regex and
 * no allocation on the common path (`/cliservice`).
 */
function checkOriginForm(path: string, from: number): string | undefined {
  for (let i = from; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) return 'request target has a control, space or non-ASCII character';
    if (code === 0x23) return 'request target has a fragment ("#")';
  }
  return undefined;
}

/** Classifies `req.url` of an hs2 request. Pure; the caller answers 400 for `invalid`. */
export function parseRequestTarget(target: string | undefined): RequestTarget {
  if (target === undefined || target.length === 0) return invalid('empty request target');
  if (target.length > maxRequestTargetLength) return invalid(`request target longer than ${maxRequestTargetLength} characters`);
  if (target.charCodeAt(0) === 0x2f /* / */) {
    const problem = checkOriginForm(target, 1);
    return problem === undefined ? { kind: 'ok', path: target } : invalid(problem);
  }
  if (target === '*') return invalid('asterisk-form request target ("*") is not an hs2 request');
  return fromAbsoluteForm(target);
}

/** Length of a leading `http://` or `https://` (scheme case-insensitive, RFC 3986 §3.1), else 0. */
function httpSchemeLength(target: string): number {
  const lower = target.slice(0, 8).toLowerCase();
  if (lower.startsWith('http://')) return 7;
  if (lower.startsWith('https://')) return 8;
  return 0;
}

function fromAbsoluteForm(target: string): RequestTarget {
  const schemeLength = httpSchemeLength(target);
  if (schemeLength === 0) {
    // RFC 3986 scheme ":" …: something like `ftp://x/…`; otherwise authority-form (`host:port`,
    // CONNECT only) or garbage.
    return invalid(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(target) ? 'request target has a scheme other than http or https' : 'request target is not a path starting with "/"');
  }
  // The authority ends at the first "/", "?" or "#" (RFC 3986 §3.2).
  let pathStart = schemeLength;
  while (pathStart < target.length) {
    const code = target.charCodeAt(pathStart);
    if (code === 0x2f || code === 0x3f || code === 0x23) break;
    pathStart++;
  }
  const authority = target.slice(schemeLength, pathStart);
  if (authority.length === 0) return invalid('absolute-form request target without a host');
  // RFC 9110 §4.2.4: a recipient SHOULD treat userinfo in an http(s) URI as an error.
  if (authority.includes('@')) return invalid('absolute-form request target with userinfo');
  const authorityProblem = checkOriginForm(authority, 0);
  if (authorityProblem !== undefined) return invalid(authorityProblem);
  // RFC 9112 §3.2.1: an empty path is sent as "/".
  const path = pathStart === target.length ? '/' : target.charCodeAt(pathStart) === 0x2f ? target.slice(pathStart) : `/${target.slice(pathStart)}`;
  const problem = checkOriginForm(path, 1);
  return problem === undefined ? { kind: 'ok', path } : invalid(problem);
}

function invalid(reason: string): RequestTarget {
  return { kind: 'invalid', reason };
}
