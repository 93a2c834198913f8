// The hs2 data path: every request that is not for /ui or the proxy itself. Reads the affinity
// cookie and the Thrift prefix, routes (route.ts), and hands the request to an Hs2Exchange.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Policy } from '../balancer/index.ts';
import type { Config } from '../config/schema.ts';
import { takeAffinityCookie } from '../affinity/cookie-header.ts';
import { ProxyError, toHttpStatus } from '../errors.ts';
import { clientAddress, connectionListed, isHopByHop } from '../http/headers.ts';
import type { Logger } from '../log.ts';
import type { Coordinator } from '../upstream/coordinator.ts';
import type { CoordinatorSet } from '../upstream/coordinator-set.ts';
import { Hs2Exchange } from './exchange.ts';
import { readRequestBody } from './request-body.ts';
import { routeRequest } from './route.ts';
import type { SessionMap } from './session-map.ts';
import { sniffRequest, unknownRequest } from './sniff.ts';

export interface Hs2ProxyOptions {
  readonly config: Config;
  readonly coordinators: CoordinatorSet;
  readonly sessions: SessionMap;
  readonly policy: Policy;
  readonly logger: Logger;
  /** Passive health: called with every upstream failure. */
  readonly onUpstreamFailure?: (coordinator: Coordinator, error: ProxyError) => void;
  /** Called once per request when it is over (metrics); the exchange is read-only by then. */
  readonly onExchangeEnd?: (exchange: Hs2Exchange) => void;
}

export class Hs2Proxy {
  readonly config: Config;
  readonly coordinators: CoordinatorSet;
  readonly sessions: SessionMap;
  readonly policy: Policy;
  readonly logger: Logger;
  readonly #accessLogger: Logger | undefined;
  readonly #cookieName: string;
  readonly #retryAfterSec: string;
  readonly #onUpstreamFailure: Hs2ProxyOptions['onUpstreamFailure'];
  readonly #onExchangeEnd: Hs2ProxyOptions['onExchangeEnd'];
  /** Only kept for observers: the proxy-added part of a request's latency ends here. */

  constructor(options: Hs2ProxyOptions) {
    this.config = options.config;
    this.coordinators = options.coordinators;
    this.sessions = options.sessions;
    this.policy = options.policy;
    this.logger = options.logger;
    this.#accessLogger = options.config.log.access ? options.logger.child({ log: 'access' }) : undefined;
    this.#cookieName = options.config.cookie.name;
    // A coordinator needs `rise` good probes to come back; clients should not retry sooner.
    const health = options.config.health;
    this.#retryAfterSec = String(Math.max(1, Math.ceil((health.intervalMs * health.rise) / 1000)));
    this.#onUpstreamFailure = options.onUpstreamFailure;
    this.#onExchangeEnd = options.onExchangeEnd;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method;
    if (method !== 'POST' && method !== 'OPTIONS') {
      // impalad closes the connection without a response for other methods; we say why.
      this.respondText(res, 405, `${method} is not supported: hs2-http takes POST\n`, { allow: 'POST, OPTIONS' });
      return;
    }
    let body;
    try {
      body = await readRequestBody(req, this.config.upstream.maxReplayBytes);
    } catch {
      return; // the client went away mid-body; nothing reached a coordinator
    }
    const sniffed = method === 'POST' ? (sniffRequest(body.prefix, true) ?? unknownRequest) : unknownRequest;
    if (method === 'POST' && sniffed.method === undefined) {
      // impalad drops the connection on a body that is not a binary-protocol Thrift call; a
      // coordinator must not look failing (passive health) because one client sent garbage.
      this.respondText(res, 400, 'request body is not a Thrift binary-protocol call\n', { connection: 'close' });
      return;
    }
    const clientIp = clientAddress(req.socket.remoteAddress);
    const cookie = takeAffinityCookie(req.headers.cookie, this.#cookieName);
    const decision = routeRequest({ cookie, sniffed, clientIp }, this);
    const exchange = new Hs2Exchange(this, req, res, body, sniffed, clientIp, decision);
    exchange.forwardCookie = cookie.forwardHeader;
    if (decision.coordinator === undefined) {
      exchange.error = new ProxyError('NO_COORDINATOR', 'no coordinator is available');
      exchange.setCookie = false;
      this.respondError(exchange, exchange.error, 503);
      this.logAccess(exchange);
      return;
    }
    exchange.send(decision.coordinator);
  }

  /** A peer for a request whose coordinator failed: never one already tried. */
  choosePeer(exchange: Hs2Exchange): Coordinator | undefined {
    return this.policy.pick(this.coordinators.available(exchange.tried), exchange);
  }

  reportFailure(coordinator: Coordinator, error: ProxyError): void {
    this.#onUpstreamFailure?.(coordinator, error);
  }

  setCookieFor(coordinator: Coordinator, req: IncomingMessage): string {
    return (req.socket as TLSSocket).encrypted ? coordinator.setCookie.secure : coordinator.setCookie.plain;
  }

  /** Request headers for the coordinator: hop-by-hop and our cookie removed, X-Forwarded-* set. */
  upstreamHeaders(exchange: Hs2Exchange): string[] {
    const req = exchange.req;
    const raw = req.rawHeaders;
    const listed = connectionListed(req.headers.connection);
    const xff = this.config.upstream.xForwardedFor;
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const lower = name.toLowerCase();
      if (isHopByHop(lower) || listed?.has(lower)) continue;
      switch (lower) {
        case 'host':
        case 'expect': // Node already answered 100 Continue; undici does not do Expect on HTTP/1.1
        case 'cookie': // rewritten below
          continue;
        case 'content-length':
          if (exchange.body.isComplete) continue; // undici sets it for a Buffer body
          break;
        case 'x-forwarded-for':
          if (xff !== 'off') continue;
          break;
        case 'x-forwarded-proto':
          continue;
      }
      out.push(name, raw[i + 1]!);
    }
    // Re-parse only to also drop impala.auth (a re-pin); otherwise reuse handle()'s result.
    const cookie = exchange.stripAuth ? takeAffinityCookie(req.headers.cookie, this.#cookieName, true).forwardHeader : exchange.forwardCookie;
    if (cookie !== undefined) out.push('cookie', cookie);
    if (xff === 'overwrite') out.push('x-forwarded-for', exchange.clientIp);
    else if (xff === 'append') {
      const previous = req.headers['x-forwarded-for'];
      out.push('x-forwarded-for', previous ? `${previous}, ${exchange.clientIp}` : exchange.clientIp);
    }
    out.push('x-forwarded-proto', (req.socket as TLSSocket).encrypted ? 'https' : 'http');
    return out;
  }

  respondError(exchange: Hs2Exchange, error: ProxyError, status: number): void {
    exchange.status = status;
    const headers: Record<string, string | string[]> = {};
    if (exchange.setCookie && exchange.coordinator !== undefined) headers['set-cookie'] = this.setCookieFor(exchange.coordinator, exchange.req);
    if (status === 503) headers['retry-after'] = this.#retryAfterSec;
    const text = status === 503 ? 'no Impala coordinator is available, retry later\n' : `${error.message}\n`;
    this.respondText(exchange.res, status, text, headers);
  }

  respondText(res: ServerResponse, status: number, text: string, headers: Record<string, string | string[]> = {}): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** The end of every request: access line and observers. */
  logAccess(exchange: Hs2Exchange): void {
    this.#onExchangeEnd?.(exchange);
    const logger = this.#accessLogger;
    if (logger === undefined) return;
    const error = exchange.error;
    logger.info({
      rpc: exchange.sniffed.method ?? null,
      coordinator: exchange.coordinator?.name ?? null,
      affinity: exchange.verdict,
      ...(exchange.reason !== undefined && { reason: exchange.reason }),
      ...(exchange.replays > 0 && { replays: exchange.replays }),
      status: exchange.status || (error ? toHttpStatus(error) : 0),
      bytesIn: exchange.body.isComplete ? exchange.body.prefix.length : Number(exchange.req.headers['content-length'] ?? -1),
      bytesOut: exchange.bytesOut,
      ms: Math.round((performance.now() - exchange.startedAt) * 100) / 100,
      client: exchange.clientIp,
      ...(error !== undefined && { error: error.code, detail: error.message }),
    });
  }
}
