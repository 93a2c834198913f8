// The request headers a coordinator gets: the client's, without hop-by-hop headers and without our
// affinity cookie (read once in request-head.ts), with X-Forwarded-For/-Proto set by the proxy.
import { takeAffinityCookie } from '../affinity/cookie-header.ts';
import type { Config } from '../config/schema.ts';
import type { Hs2RequestHead } from './request-head.ts';

export interface HeaderSettings {
  readonly cookieName: string;
  readonly xForwardedFor: Config['upstream']['xForwardedFor'];
}

export interface HeaderFacts {
  readonly head: Hs2RequestHead;
  /** The client's Cookie header without our cookie, parsed once by the handler. */
  readonly forwardCookie: string | undefined;
  /** Also drop impala.auth: the request goes to another coordinator than the one that minted it. */
  readonly stripAuth: boolean;
  /** The whole body is sent as a Buffer (undici sets Content-Length itself). */
  readonly isBodyComplete: boolean;
  readonly clientIp: string;
  readonly isTls: boolean;
}

export function upstreamHeaders(facts: HeaderFacts, settings: HeaderSettings): string[] {
  const head = facts.head;
  const out = head.forward.slice();
  if (!facts.isBodyComplete && head.contentLength !== undefined) out.push('content-length', head.contentLength);
  // Re-parse only to also drop impala.auth (a re-pin); otherwise reuse the handler's result.
  const cookie = facts.stripAuth ? takeAffinityCookie(head.cookie, settings.cookieName, true).forwardHeader : facts.forwardCookie;
  if (cookie !== undefined) out.push('cookie', cookie);
  if (settings.xForwardedFor === 'overwrite') out.push('x-forwarded-for', facts.clientIp);
  else if (settings.xForwardedFor === 'append') {
    const previous = head.xForwardedFor;
    out.push('x-forwarded-for', previous ? `${previous}, ${facts.clientIp}` : facts.clientIp);
  }
  out.push('x-forwarded-proto', facts.isTls ? 'https' : 'http');
  return out;
}
