// Maps a request target under /ui to what the web UI proxy does with it. Pure: no I/O, no config.
//
// Only the path after `/ui/<key>` ever reaches a coordinator, and always on that coordinator's fixed
// origin, so nothing here can choose a host. What is refused is what could make the coordinator
// (or anything between) read a different path than the one checked here: `..` in any spelling,
// encoded slashes and backslashes. Empty segments are collapsed the way impalad's web server
// (squeasel `remove_double_dots_and_double_slashes`) does, because Impala's own `make_url()` builds
// `/ui/<n>//queries?json` from the rewritten root link (research/impala-protocol.md §4).

export type UiTarget =
  /** `/ui` or `/ui/`: the coordinator index. */
  | { readonly kind: 'index' }
  /** `/ui/<key>` without the trailing slash: relative links need the directory form. */
  | { readonly kind: 'redirect'; readonly key: string; readonly location: string }
  | { readonly kind: 'invalid'; readonly reason: string }
  /** Proxy `upstreamPath` (path and query, always starting with a single `/`) to coordinator `key`. */
  | { readonly kind: 'proxy'; readonly key: string; readonly prefix: string; readonly upstreamPath: string };

const indexTarget: UiTarget = { kind: 'index' };

/** Percent-encoded `/` or `\`, NUL, and a literal backslash (WHATWG URL parsers read it as `/`). */
const forbiddenInPath = /%2f|%5c|%00|\\/i;
const encodedDot = /%2e/gi;

/**
 * `url` is the request target as Node gives it (`req.url`): origin-form `/ui/2/queries?json`, or
 * absolute-form `http://host/ui/2/…` (RFC 9112 §3.2.2 says a server must accept it; its authority is
 * ignored, the upstream is always the configured coordinator).
 */
export function parseUiTarget(url: string): UiTarget {
  let target = url;
  if (!target.startsWith('/')) {
    const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
    if (match === null) return { kind: 'invalid', reason: 'request target is not a path' };
    target = target.slice(match[0].length);
    if (!target.startsWith('/')) target = `/${target}`;
  }
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const question = target.indexOf('?');
  const path = question === -1 ? target : target.slice(0, question);
  const query = question === -1 ? '' : target.slice(question);

  if (path !== '/ui' && !path.startsWith('/ui/')) return { kind: 'invalid', reason: 'not a /ui path' };
  if (forbiddenInPath.test(path)) return { kind: 'invalid', reason: 'encoded slash, backslash or NUL in path' };

  const segments = path.slice(1).split('/'); // ['ui', key?, ...rest]
  const kept: string[] = [];
  for (let i = 2; i < segments.length; i++) {
    const segment = segments[i]!;
    const plain = segment.includes('%') ? segment.replace(encodedDot, '.') : segment;
    if (plain === '..') return { kind: 'invalid', reason: 'dot-dot segment in path' };
    if (plain === '.' || segment === '') continue;
    kept.push(segment);
  }
  const key = segments[1];
  if (key === undefined || key === '') {
    // `/ui`, `/ui/`, and `/ui//x` (no key): the index; anything after a missing key is ignored.
    return segments.length <= 2 || kept.length === 0 ? indexTarget : { kind: 'invalid', reason: 'missing coordinator' };
  }
  const plainKey = key.includes('%') ? key.replace(encodedDot, '.') : key;
  if (plainKey === '..' || plainKey === '.') return { kind: 'invalid', reason: 'dot segment as coordinator' };
  if (segments.length === 2) return { kind: 'redirect', key, location: `/ui/${key}/${query}` };

  const endsWithSlash = path.endsWith('/') && kept.length > 0;
  const upstreamPath = `/${kept.join('/')}${endsWithSlash ? '/' : ''}${query}`;
  return { kind: 'proxy', key, prefix: `/ui/${key}`, upstreamPath };
}
