// The proxy's own answers on the hs2 path: short plain-text bodies, never cached.
import type { ServerResponse } from 'node:http';

/** Returns false when nothing could be sent (the head already went out, or the client left). */
export function respondText(res: ServerResponse, status: number, text: string, headers: Record<string, string | string[]> = {}): boolean {
  if (res.headersSent || res.destroyed) return false;
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
  return true;
}

export const unavailableText = 'no Impala coordinator is available, retry later\n';
