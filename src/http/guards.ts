// Request guards for the http-proxy based web UI path (research/aesthetics.md §6.2). They run
// before `proxy.web()` because http-proxy itself forwards what it is given: it turns a chunked
// DELETE/OPTIONS into `content-length: 0` while still piping the body (P2, CVE-2026-29057 /
// GHSA-ggv3-7p47-pfv8), copies every request header (P3, node-http-proxy#1647) and skips its
// `proxyReq` hook when `Expect` is present (P6, GHSA-6x33-pw7p-hmpq). And Node's ClientRequest
// frames what it is given: a body without Content-Length goes out raw on GET/HEAD/DELETE/OPTIONS
// (no chunked default there) and chunked on POST/PUT (issue 10 item 1).
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { connectionListed, isHopByHop } from './headers.ts';

/** Methods whose request has no defined body semantics (RFC 9110 §9.3): a body there is a smuggling shape. */
const bodylessMethods = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/**
 * Never proxied. TRACE echoes the request, cookies and Authorization included, back to whoever
 * sent it (cross-site tracing, RFC 9110 §9.3.8 warns); CONNECT would ask the web UI for a tunnel
 * (Node's server hands CONNECT to a 'connect' listener, which the proxy has none of, so it never
 * gets here; refused again so that does not depend on it).
 */
const refusedMethods = new Set(['TRACE', 'CONNECT']);

/**
 * How the message is framed (RFC 9112 §6) and where it goes: a Connection header may name them,
 * but removing them would change what the next hop parses, so `Connection` never removes them.
 * Transfer-Encoding is hop-by-hop anyway and is re-framed by Node (see upstreamIsChunked).
 */
const framingHeaders = new Set(['content-length', 'transfer-encoding', 'host']);

export interface Refusal {
  readonly status: 400 | 405;
  readonly reason: string;
  /** The body is unread: answer with Connection: close (RFC 9112 §6.3). */
  readonly isClosing: boolean;
}

/**
 * Why the request is refused before anything is proxied, or undefined when it may go on.
 * Node's parser already rejects TE together with CL (llhttp, unless --insecure-http-parser); the
 * check is repeated so the guard does not depend on a parser flag.
 */
export function refusalOf(req: IncomingMessage): Refusal | undefined {
  const method = req.method ?? '';
  const transferEncoding = req.headers['transfer-encoding'];
  if (transferEncoding !== undefined && req.headers['content-length'] !== undefined) {
    return { status: 400, reason: 'Transfer-Encoding together with Content-Length', isClosing: true };
  }
  if (bodylessMethods.has(method) && hasBody(req)) {
    return { status: 400, reason: `a body on ${method}`, isClosing: true };
  }
  if (refusedMethods.has(method)) return { status: 405, reason: `${method} is not proxied`, isClosing: false };
  return undefined;
}

/** The request carries a body: chunked, or a Content-Length other than 0. */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && !/^\s*0+\s*$/.test(length);
}

/**
 * Called on the headers after stripRequestHeaders, with hasBody() of the request: whether the
 * upstream request will stream the body chunked, which is what Node's ClientRequest does with a
 * body and no Content-Length. A chunked body must never share a keep-alive connection with other
 * users' requests (httpxy #158).
 */
export function upstreamIsChunked(headers: IncomingHttpHeaders, hasRequestBody: boolean): boolean {
  return hasRequestBody && headers['content-length'] === undefined;
}

/**
 * Removes, in place, what must not reach the upstream: hop-by-hop headers (RFC 9110 §7.6.1,
 * including `Trailer` and `TE`), the headers the Connection header lists except the framing ones,
 * and `Expect` (the proxy does not do 100-continue towards the web UI, and keeping it would
 * disable the abort wiring). In place because http-proxy copies `req.headers` when it builds the
 * upstream request.
 */
export function stripRequestHeaders(headers: IncomingHttpHeaders): void {
  const listed = connectionListed(headers.connection);
  for (const name of Object.keys(headers)) {
    if (isHopByHop(name) || name === 'expect' || (listed?.has(name) && !framingHeaders.has(name))) delete headers[name];
  }
}
