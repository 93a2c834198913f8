// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded, nor are
// the headers a Connection header names.

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export function isHopByHop(lowerCaseName: string): boolean {
  return hopByHop.has(lowerCaseName);
}

/** Names listed in a Connection header value, lower-cased (`Connection: close, X-Foo`). */
export function connectionListed(value: string | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  let names: Set<string> | undefined;
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive') continue;
    (names ??= new Set()).add(name);
  }
  return names;
}

/** The client's address for X-Forwarded-For, without the IPv4-mapped IPv6 prefix. */
export function clientAddress(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return 'unknown';
  return remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
}
