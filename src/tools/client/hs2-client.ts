// A real HS2 client over HTTP(S) that behaves like impyla >= 0.20 and impala-shell
// (research/impala-protocol.md §1–2): strict binary protocol, seqid 0, one message per POST,
// a name-keyed cookie jar with Path and Max-Age (Expires ignored), clear-all-and-retry-once on a
// 401 while holding cookies, and either a new connection per RPC (impyla, shells <= 4.5) or one
// kept-alive connection (impala-shell 4.6).
//
// The RPC helpers (openSession, query, connectLikeImpalaShell, …) are Hs2Calls', shared with the
// binary client (hs2-binary-client.ts).
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { decodeReply, encodeCall, type Hs2Method, type Hs2Request, type Hs2Response } from '../thrift/hs2.ts';
import { Hs2Calls } from './hs2-calls.ts';

export { Hs2Calls, Hs2StatusError, assertSuccess, isSuccess, rowsOf, type Row, type ShellConnection } from './hs2-calls.ts';
export { Hs2BinaryClient, type Hs2BinaryClientOptions } from './hs2-binary-client.ts';
export { Hs2TransportError } from './binary-transport.ts';

export type Hs2ClientAuth =
  | { type: 'none' }
  /** LDAP/PLAIN: Basic on every request, even with an auth cookie ("to avoid a round trip"). */
  | { type: 'basic'; user: string; password: string }
  /** GSSAPI stand-in: `Negotiate dummy` only while holding no `*.auth` cookie. */
  | { type: 'kerberos'; token?: string };

export interface Hs2ClientOptions {
  /** Base URL, e.g. `https://127.0.0.1:28000`. */
  url: string;
  /** Default `/cliservice` (impala-shell); impyla's default is `/`. May carry a query string. */
  httpPath?: string;
  /**
   * `per-rpc` (default; impyla, shells <= 4.5): a new TCP+TLS connection for every RPC, the previous
   * one left open idle until the next RPC starts. `keep-alive` (impala-shell 4.6): one reused connection.
   */
  connection?: 'per-rpc' | 'keep-alive';
  auth?: Hs2ClientAuth;
  /** Cookies kept: `*` (default, impyla >= 0.20, shell >= 4.5) or a list of names; `[]` keeps none. */
  cookieNames?: '*' | string[];
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean; servername?: string };
  /** Extra request headers (e.g. X-Forwarded-For), sent on every request. */
  headers?: Record<string, string>;
  userAgent?: string;
  /** OpenSession `username` (impalad uses it when no authentication is configured). */
  username?: string;
}

export interface Exchange {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every Set-Cookie header of the response, in order. */
  setCookies: string[];
}

/** Like impyla's HttpError: any HTTP status >= 300. */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  constructor(status: number, reason: string, headers: IncomingHttpHeaders, body: Buffer) {
    super(`HTTP code ${status}: ${reason}${body.length > 0 ? ` [${body.toString('utf8').slice(0, 200)}]` : ''}`);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

interface StoredCookie {
  value: string;
  path: string | undefined;
  /** ms since epoch; undefined = session cookie. */
  expiresAt: number | undefined;
}

/** Attributes Python's http.cookies knows; any other attribute (e.g. Partitioned) drops the cookie. */
const KNOWN_ATTRIBUTES = new Set(['expires', 'path', 'comment', 'domain', 'max-age', 'secure', 'httponly', 'version', 'samesite']);

/** impyla's cookie handling (_thrift_api.py / util.py), reproduced rule by rule. */
export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>();
  readonly #names: '*' | readonly string[];

  constructor(names: '*' | readonly string[] = '*') {
    this.#names = names;
  }

  #keeps(name: string): boolean {
    return this.#names === '*' || this.#names.includes(name);
  }

  /** Applies every Set-Cookie header in order; a later one for the same name replaces the earlier. */
  store(setCookies: readonly string[], now = Date.now()): void {
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';');
      const equals = pair.indexOf('=');
      if (equals <= 0) continue;
      const name = pair.slice(0, equals).trim();
      let value = pair.slice(equals + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      let path: string | undefined;
      let expiresAt: number | undefined;
      let valid = true;
      for (const attribute of attributes) {
        const trimmed = attribute.trim();
        if (trimmed === '') continue;
        const separator = trimmed.indexOf('=');
        const key = (separator < 0 ? trimmed : trimmed.slice(0, separator)).trim().toLowerCase();
        const attributeValue = separator < 0 ? '' : trimmed.slice(separator + 1).trim();
        if (!KNOWN_ATTRIBUTES.has(key)) {
          valid = false;
          break;
        }
        if (key === 'path') path = attributeValue;
        // Max-Age is honoured from receipt; Expires is ignored (impyla's TODO); Domain/Secure/HttpOnly too.
        if (key === 'max-age' && /^-?\d+$/.test(attributeValue)) expiresAt = now + Number(attributeValue) * 1000;
      }
      if (!valid || !this.#keeps(name)) continue;
      this.#cookies.set(name, { value, path, expiresAt });
    }
  }

  /** Drops expired cookies, then joins the ones whose Path matches (request path including its query). */
  header(requestPath: string, now = Date.now()): string | undefined {
    const parts: string[] = [];
    for (const [name, cookie] of this.#cookies) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) {
        this.#cookies.delete(name);
        continue;
      }
      if (matchesPath(cookie.path, requestPath)) parts.push(`${name}=${cookie.value}`);
    }
    return parts.length > 0 ? parts.join('; ') : undefined;
  }

  hasAuthCookie(now = Date.now()): boolean {
    for (const [name, cookie] of this.#cookies) {
      if (name.endsWith('.auth') && (cookie.expiresAt === undefined || cookie.expiresAt > now)) return true;
    }
    return false;
  }

  get size(): number {
    return this.#cookies.size;
  }

  clear(): void {
    this.#cookies.clear();
  }

  /** name → value of the cookies held (expired ones included until the next request drops them). */
  entries(): Map<string, string> {
    return new Map([...this.#cookies].map(([name, cookie]) => [name, cookie.value]));
  }
}

function matchesPath(cookiePath: string | undefined, requestPath: string): boolean {
  if (cookiePath === undefined || cookiePath === '' || cookiePath === '/') return true;
  return requestPath === cookiePath || requestPath.startsWith(`${cookiePath}/`);
}

interface RawResponse {
  status: number;
  reason: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class Hs2Client extends Hs2Calls {
  readonly jar: CookieJar;
  /** HTTP status, headers and Set-Cookie headers of the last HTTP exchange (including a 401 before its retry). */
  lastExchange: Exchange | undefined;
  /** Every exchange, oldest first. */
  readonly exchanges: Exchange[] = [];

  readonly #options: Hs2ClientOptions;
  readonly #url: URL;
  readonly #path: string;
  readonly #isTls: boolean;
  readonly #module: typeof http | typeof https;
  /** keep-alive mode: the one shared agent; per-rpc mode: the agent of the previous RPC. */
  #agent: http.Agent | undefined;

  constructor(options: Hs2ClientOptions) {
    super(options.username);
    this.#options = options;
    this.#url = new URL(options.url);
    this.#path = options.httpPath ?? '/cliservice';
    this.jar = new CookieJar(options.cookieNames ?? '*');
    this.#isTls = this.#url.protocol === 'https:';
    this.#module = this.#isTls ? https : http;
  }

  #newAgent(): http.Agent {
    return this.#isTls
      ? new https.Agent({ keepAlive: true, maxSockets: 1, ...this.#tlsOptions() })
      : new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  /**
   * per-rpc: like impyla's flush() (`if self.isOpen(): self.close()` then `open()`), close the
   * previous RPC's connection, which stayed open idle, and open a new one. keep-alive: reuse one.
   */
  #agentForRequest(): http.Agent {
    if (this.#options.connection === 'keep-alive') return (this.#agent ??= this.#newAgent());
    this.#agent?.destroy();
    this.#agent = this.#newAgent();
    return this.#agent;
  }

  get cookies(): Map<string, string> {
    return this.jar.entries();
  }

  #tlsOptions(): https.AgentOptions {
    const tls = this.#options.tls ?? {};
    return {
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      ...(tls.servername ? { servername: tls.servername } : {}),
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
    };
  }

  #requestHeaders(body: Buffer): Record<string, string> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-thrift',
      'Content-Length': String(body.length),
      'User-Agent': this.#options.userAgent ?? 'Python/ImpylaHttpClient (hs2-client)',
    };
    // Sent without waiting for the 100 (impyla and the shell do the same).
    if (body.length > 1024) headers.Expect = '100-continue';
    const cookie = this.jar.header(this.#path);
    if (cookie) headers.Cookie = cookie;
    const auth = this.#options.auth ?? { type: 'none' };
    if (auth.type === 'basic') {
      headers.Authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    } else if (auth.type === 'kerberos' && !this.jar.hasAuthCookie()) {
      headers.Authorization = `Negotiate ${auth.token ?? 'dummy'}`;
    }
    return { ...headers, ...this.#options.headers };
  }

  #post(body: Buffer): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const request = this.#module.request(
        {
          protocol: this.#url.protocol,
          hostname: this.#url.hostname.replace(/^\[|\]$/g, ''),
          port: this.#url.port,
          method: 'POST',
          path: this.#path,
          headers: this.#requestHeaders(body),
          agent: this.#agentForRequest(),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              reason: response.statusMessage ?? '',
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  async #exchange(body: Buffer): Promise<RawResponse> {
    const response = await this.#post(body);
    this.#record(response);
    if (response.status === 401 && this.jar.size > 0) {
      // 'Received "401 Unauthorized" response. Delete HTTP cookies and then retry.'
      this.jar.clear();
      const retried = await this.#post(body);
      this.#record(retried);
      return retried;
    }
    return response;
  }

  #record(response: RawResponse): void {
    const setCookies = response.headers['set-cookie'] ?? [];
    this.lastExchange = { status: response.status, headers: response.headers, setCookies };
    this.exchanges.push(this.lastExchange);
    this.jar.store(setCookies);
  }

  /** Sends one RPC; throws HttpError for HTTP status >= 300, ThriftApplicationError for an exception reply. */
  override async call<M extends Hs2Method>(method: M, request: Hs2Request<M>): Promise<Hs2Response<M>> {
    const response = await this.#exchange(encodeCall(method, request));
    if (response.status >= 300 || response.status < 200) {
      throw new HttpError(response.status, response.reason, response.headers, response.body);
    }
    return decodeReply(method, response.body);
  }

  /** Closes the open connection (the kept-alive one, or the previous RPC's). */
  override close(): void {
    this.#agent?.destroy();
    this.#agent = undefined;
  }
}
