// Request guards for the http-proxy based web UI path (research/aesthetics.md §6.2). They run
// before `proxy.web()` because http-proxy itself forwards what it is given: it turns a chunked
// DELETE/OPTIONS into `content-length: 0` while still piping the body (P2, CVE-2026-29057 /
// GHSA-ggv3-7p47-pfv8), copies every request header (P3, node-http-proxy#1647) and skips its
// `proxyReq` hook when `Expect` is present (P6, GHSA-6x33-pw7p-hmpq).
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { connectionListed, isHopByHop } from './headers.ts';

/** Methods whose request has no defined body semantics (RFC 9110 §9.3): a body there is a smuggling shape. */
const bodylessMethods = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/**
 * Why the request's framing is refused (answer 400 and close), or undefined when it is acceptable.
 * Node's parser already rejects TE together with CL (llhttp, unless --insecure-http-parser); the
 * check is repeated so the guard does not depend on a parser flag.
 */
export function framingProblem(req: IncomingMessage): string | undefined {
  const transferEncoding = req.headers['transfer-encoding'];
  if (transferEncoding === undefined) return undefined;
  if (req.headers['content-length'] !== undefined) return 'Transfer-Encoding together with Content-Length';
  if (bodylessMethods.has(req.method ?? '')) return `Transfer-Encoding on ${req.method}`;
  return undefined;
}

/** The request carries a body that http-proxy will stream with chunked framing. */
export function isChunked(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * Removes, in place, what must not reach the upstream: hop-by-hop headers (RFC 9110 §7.6.1,
 * including `Trailer` and `TE`), the headers the Connection header lists, and `Expect` (the proxy
 * does not do 100-continue towards the web UI, and keeping it would disable the abort wiring).
 * In place because http-proxy copies `req.headers` when it builds the upstream request.
 */
export function stripRequestHeaders(headers: IncomingHttpHeaders): void {
  const listed = connectionListed(headers.connection);
  for (const name of Object.keys(headers)) {
    if (isHopByHop(name) || name === 'expect' || listed?.has(name)) delete headers[name];
  }
}
