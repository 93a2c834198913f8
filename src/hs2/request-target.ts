// TEMPORARY (replaced by the hs2checks branch): origin-form targets only.
export type RequestTarget = { readonly kind: 'ok'; readonly path: string } | { readonly kind: 'invalid'; readonly reason: string };

export function parseRequestTarget(target: string | undefined): RequestTarget {
  if (target === undefined || target === '') return { kind: 'invalid', reason: 'empty request target' };
  if (target.startsWith('/')) return /[^\u0021-\u00ff]/.test(target) ? { kind: 'invalid', reason: 'invalid characters' } : { kind: 'ok', path: target };
  const match = /^https?:\/\/[^/?#]*(.*)$/i.exec(target);
  if (match !== null) return parseRequestTarget(match[1] === '' ? '/' : match[1]!.startsWith('/') ? match[1]! : `/${match[1]}`);
  return { kind: 'invalid', reason: 'not an origin-form or http(s) absolute-form target' };
}
