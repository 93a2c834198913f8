// The host part of a URL that reaches a listener of ours, from the address it is bound to: what
// `ctl --config` and the proxy's own url()/adminUrl() connect to.

/**
 * A wildcard address is reached on the loopback of its own family (0.0.0.0 → 127.0.0.1,
 * :: → ::1): a listener on :: takes ::1 wherever it could bind, IPv4 only while it is dual-stack.
 * An IPv6 literal is bracketed (RFC 3986 §3.2.2).
 */
export function hostForUrl(host: string): string {
  const connectable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return connectable.includes(':') ? `[${connectable}]` : connectable;
}
