// Rewrites what impalad's web UI sends so that it keeps working under /ui/<n>/: redirect targets,
// cookie paths, and root-absolute URLs in HTML attributes. Pure functions over strings, one
// UiRewriter per (coordinator, prefix) built at start.
//
// impalad forms links root-absolute (`href='/queries'`, `src='/www/…'`) because `host-url` is empty
// unless the request carries X-Forwarded-Context (which the proxy strips), and its JavaScript builds
// XHR URLs from `<a id='root-link' href='/'>` with `make_url()` (research/impala-protocol.md §4).
// Rewriting the root link to `/ui/<n>/` therefore moves every make_url() call under the prefix too
// (as `/ui/<n>//queries?json`, which parseUiTarget collapses like squeasel does).
import { rewriteHtml } from './html-scan.ts';

/** Statuses whose Location header the client follows or records (RFC 9110 §10.2.2, §15.4). */
const locationStatuses = new Set([201, 301, 302, 303, 307, 308]);

export function hasRewritableLocation(status: number): boolean {
  return locationStatuses.has(status);
}

/**
 * A `//x` value is a network-path reference (RFC 3986 §4.2) when `x` looks like a host: it has a
 * dot, a colon or a bracket, or is `localhost`. impalad emits no protocol-relative links at all,
 * so every other `//segment` can only be a root-absolute path with a doubled slash (what
 * `make_url()` produces from the root link), and is prefixed like any other root-absolute path.
 * A single-label external host (`//intranet/x`) is misread as a path; it then resolves under
 * `/ui/<n>/` and reaches the coordinator, never another host, which is the safe direction.
 */
function networkPathHost(value: string): string | undefined {
  const end = value.slice(2).search(/[/?#]/);
  const authority = (end === -1 ? value.slice(2) : value.slice(2, 2 + end)).toLowerCase();
  if (authority === '') return undefined;
  if (/[.:[@]/.test(authority) || authority === 'localhost') return authority;
  return undefined;
}

const absoluteHttpUrl = /^https?:\/\/([^/?#]*)(.*)$/is;

export interface UiRewriterOptions {
  /** `/ui/<key>` as the browser addresses this coordinator (no trailing slash). */
  readonly prefix: string;
  /** URL authorities (`host:port`, lower case) that mean this coordinator's web UI. */
  readonly ownAuthorities: readonly string[];
  /** Authorities of the other coordinators' web UIs → their `/ui/<n>` prefix. */
  readonly peers?: ReadonlyMap<string, string>;
}

export class UiRewriter {
  readonly prefix: string;
  readonly #prefixes: ReadonlyMap<string, string>;
  /** Default-port-free authority forms too: `https://h/` in a Location means `h:443`. */
  constructor(options: UiRewriterOptions) {
    this.prefix = options.prefix;
    const prefixes = new Map(options.peers ?? []);
    for (const authority of options.ownAuthorities) prefixes.set(authority.toLowerCase(), options.prefix);
    this.#prefixes = prefixes;
  }

  /**
   * The URL to use instead of `value`, or undefined to keep it: root-absolute and double-slash
   * paths get the prefix; absolute http(s) URLs to a configured coordinator's web UI become that
   * coordinator's `/ui/<n>/…`; relative, fragment, other-host and non-http URLs are kept.
   */
  url(value: string): string | undefined {
    const lead = value.length - value.trimStart().length; // browsers strip leading whitespace in URLs
    const url = lead === 0 ? value : value.slice(lead);
    if (url.charCodeAt(0) === 47 /* / */) {
      if (url.charCodeAt(1) !== 47) return value.slice(0, lead) + this.prefix + url;
      const host = networkPathHost(url);
      if (host === undefined) return value.slice(0, lead) + this.prefix + url;
      const peer = this.#prefixes.get(host);
      return peer === undefined ? undefined : value.slice(0, lead) + peer + ensureRooted(url.slice(2 + host.length));
    }
    if (url.charCodeAt(0) !== 104 && url.charCodeAt(0) !== 72 /* h, H */) return undefined;
    const match = absoluteHttpUrl.exec(url);
    if (match === null) return undefined;
    const authority = match[1]!.toLowerCase();
    const peer = this.#prefixes.get(authority) ?? this.#prefixes.get(withDefaultPort(authority, url));
    return peer === undefined ? undefined : value.slice(0, lead) + peer + ensureRooted(match[2]!);
  }

  /** Location on 201/3xx: same rules as links; relative references resolve correctly as they are. */
  location(value: string): string {
    return this.url(value) ?? value;
  }

  /**
   * Set-Cookie: the Path moves under the prefix (none or `/` → `<prefix>/`, `/x` → `<prefix>/x`),
   * and Domain is dropped because the browser talks to the proxy, so a coordinator's domain
   * would make it reject the cookie. Edited as text, not with the `cookie` package's
   * parseSetCookie/stringifySetCookie (checked with cookie 1.1.1): with its default codec the round
   * trip turns `impala.auth=c2ln+/=&u=alice…` into `c2ln%2B%2F%3D%26u%3Dalice…`, which the browser
   * sends back and impalad's HMAC check rejects; with an identity codec the value survives, but
   * attributes the package does not know are dropped and a value outside its character set throws.
   * Per RFC 6265 §5.2.4 a Path not starting with `/` means the default path; it is replaced too.
   */
  setCookie(header: string): string {
    const parts = header.split(';');
    let path: string | undefined;
    const kept = [parts[0]!];
    for (let i = 1; i < parts.length; i++) {
      const part = parts[i]!;
      const equals = part.indexOf('=');
      const name = (equals === -1 ? part : part.slice(0, equals)).trim().toLowerCase();
      if (name === 'path') {
        path = equals === -1 ? '' : part.slice(equals + 1).trim(); // the last one wins (§5.3 step 7)
        continue;
      }
      if (name === 'domain') continue;
      kept.push(part);
    }
    const rooted = path !== undefined && path.startsWith('/') ? path : '/';
    kept.push(` Path=${this.prefix}${rooted}`);
    return kept.join(';');
  }

  /**
   * Rewrites `href`, `src`, `action`, `formaction` attribute values (quoted with `"` or `'`, or
   * unquoted) in start tags, and `url(/…)` in `style` attributes and `<style>` elements. Script,
   * comment and other raw-text content is copied untouched: JavaScript URLs reach the prefix
   * through make_url() and the rewritten root link instead. Works on any ASCII-compatible
   * charset when the caller decodes and encodes as latin1 (byte-preserving).
   */
  html(document: string): string {
    return rewriteHtml(document, this.#rewriteAttribute, this.#rewriteCss);
  }

  readonly #rewriteAttribute = (name: string, value: string): string | undefined => {
    if (urlAttributes.has(name)) return this.url(value);
    if (name !== 'style') return undefined;
    const css = this.css(value);
    return css === value ? undefined : css;
  };

  readonly #rewriteCss = (css: string): string => this.css(css);

  /** `url(/…)` in a stylesheet: a root-absolute url() resolves against the origin, not the sheet. */
  css(css: string): string {
    return css.replace(cssUrlPattern, (whole, open: string, value: string, close: string) => {
      const replacement = this.url(value);
      return replacement === undefined ? whole : `${open}${replacement}${close}`;
    });
  }
}

const urlAttributes = new Set(['href', 'src', 'action', 'formaction']);
/** `url(/…)`; the path stops at a quote, parenthesis or space, so runs never overlap (linear). */
const cssUrlPattern = /(url\(\s*["']?)(\/[^"'()\s]*)(["']?\s*\))/gi;

function ensureRooted(rest: string): string {
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** `h` in `https://h/` is `h:443`: lets a Location without an explicit port match `host:port`. */
function withDefaultPort(authority: string, url: string): string {
  if (authority.endsWith(']') || !authority.includes(':')) return `${authority}:${/^https:/i.test(url) ? 443 : 80}`;
  return authority;
}
