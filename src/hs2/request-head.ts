// What the hs2 path needs from a request head, read in one pass over req.rawHeaders: the headers to
// forward as they are (with the client's spelling), and the few the proxy acts on itself. One loop
// instead of a loop plus lookups in req.headers (which Node's server builds anyway: it reads Host
// and Expect before the request event).
import { connectionListed, isHopByHop } from '../http/headers.ts';

export interface Hs2RequestHead {
  /**
   * Headers to send upstream unchanged, as [name, value, …]: without hop-by-hop headers (and those
   * Connection names), Host, Expect, Cookie, Content-Length, X-Forwarded-Proto, X-Forwarded-Host and
   * Forwarded, and without X-Forwarded-For unless the proxy leaves it alone.
   */
  readonly forward: string[];
  /** The Cookie header; several Cookie lines joined with "; " (RFC 6265 §5.4). */
  readonly cookie: string | undefined;
  readonly xForwardedFor: string | undefined;
  readonly contentLength: string | undefined;
}

/** `keepXForwardedFor`: forward the client's X-Forwarded-For as it is (upstream.xForwardedFor off). */
export function readRequestHead(raw: readonly string[], keepXForwardedFor: boolean): Hs2RequestHead {
  const forward: string[] = [];
  let cookie: string | undefined;
  let xForwardedFor: string | undefined;
  let contentLength: string | undefined;
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    switch (lower) {
      case 'cookie':
        cookie = cookie === undefined ? value : `${cookie}; ${value}`;
        continue;
      case 'connection':
        connection = connection === undefined ? value : `${connection}, ${value}`;
        continue;
      case 'content-length':
        contentLength = value;
        continue;
      case 'x-forwarded-for':
        xForwardedFor = xForwardedFor === undefined ? value : `${xForwardedFor}, ${value}`;
        if (keepXForwardedFor) forward.push(name, value);
        continue;
      case 'host':
      case 'expect': // Node already answered 100 Continue; undici does not do Expect on HTTP/1.1
      case 'x-forwarded-proto':
      // A client's own claims about forwarding: a next hop that reads them would believe a forgery
      // (impalad reads neither today). The web UI path drops them too.
      case 'x-forwarded-host':
      case 'forwarded':
        continue;
    }
    if (!isHopByHop(lower)) forward.push(name, value);
  }
  const listed = connectionListed(connection);
  return { forward: listed === undefined ? forward : withoutListed(forward, listed), cookie, xForwardedFor, contentLength };
}

/** The rare request whose Connection header names more than close/keep-alive. */
function withoutListed(headers: readonly string[], listed: ReadonlySet<string>): string[] {
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (!listed.has(headers[i]!.toLowerCase())) kept.push(headers[i]!, headers[i + 1]!);
  return kept;
}
