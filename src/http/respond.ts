// The proxy's own short plain-text answers (errors, refusals), on every listener: never cached.
import type { ServerResponse } from 'node:http';

/**
 * Answers `status` with `text`; headers already set on `res` (setHeader) are kept, `headers` are
 * added. Returns false when nothing could be sent (the head already went out, or the client left).
 */
export function respondText(res: ServerResponse, status: number, text: string, headers: Record<string, string | string[]> = {}): boolean {
  if (res.headersSent || res.destroyed) return false;
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
  return true;
}
