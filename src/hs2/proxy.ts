// The hs2 data path: every request that is not for /ui or the proxy itself. Reads the affinity
// cookie and the Thrift prefix, routes (route.ts), and hands the request to an Hs2Exchange.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Policy } from '../balancer/index.ts';
import type { Config } from '../config/schema.ts';
import { takeAffinityCookie } from '../affinity/cookie-header.ts';
import { ProxyError, toHttpStatus } from '../errors.ts';
import { clientAddress } from '../http/headers.ts';
import { createAccessLogger, type Logger } from '../log.ts';
import type { Coordinator } from '../upstream/coordinator.ts';
import type { CoordinatorSet } from '../upstream/coordinator-set.ts';
import { Hs2Exchange } from './exchange.ts';
import { readRequestBody } from './request-body.ts';
import { readRequestHead } from './request-head.ts';
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
  readonly #keepXForwardedFor: boolean;
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
    // Built once: with access lines off, or below the log level, logAccess does no work at all.
    this.#accessLogger = options.config.log.access && options.logger.isLevelEnabled('info') ? createAccessLogger(options.logger) : undefined;
    this.#cookieName = options.config.cookie.name;
    this.#keepXForwardedFor = options.config.upstream.xForwardedFor === 'off';
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
    const head = readRequestHead(req.rawHeaders, this.#keepXForwardedFor);
    const cookie = takeAffinityCookie(head.cookie, this.#cookieName);
    const decision = routeRequest({ cookie, sniffed, clientIp }, this);
    const exchange = new Hs2Exchange(this, req, res, head, body, sniffed, clientIp, decision);
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
    const head = exchange.head;
    const out = head.forward.slice();
    // undici sets Content-Length itself for a Buffer body.
    if (!exchange.body.isComplete && head.contentLength !== undefined) out.push('content-length', head.contentLength);
    // Re-parse only to also drop impala.auth (a re-pin); otherwise reuse handle()'s result.
    const cookie = exchange.stripAuth ? takeAffinityCookie(head.cookie, this.#cookieName, true).forwardHeader : exchange.forwardCookie;
    if (cookie !== undefined) out.push('cookie', cookie);
    const xff = this.config.upstream.xForwardedFor;
    if (xff === 'overwrite') out.push('x-forwarded-for', exchange.clientIp);
    else if (xff === 'append') {
      const previous = head.xForwardedFor;
      out.push('x-forwarded-for', previous ? `${previous}, ${exchange.clientIp}` : exchange.clientIp);
    }
    out.push('x-forwarded-proto', (exchange.req.socket as TLSSocket).encrypted ? 'https' : 'http');
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
    // One object shape for every line (pino leaves out the undefined fields).
    logger.info({
      rpc: exchange.sniffed.method ?? null,
      coordinator: exchange.coordinator?.name ?? null,
      affinity: exchange.verdict,
      reason: exchange.reason,
      replays: exchange.replays > 0 ? exchange.replays : undefined,
      status: exchange.status || (error ? toHttpStatus(error) : 0),
      bytesIn: exchange.body.isComplete ? exchange.body.prefix.length : Number(exchange.head.contentLength ?? -1),
      bytesOut: exchange.bytesOut,
      ms: Math.round((performance.now() - exchange.startedAt) * 100) / 100,
      client: exchange.clientIp,
      error: error?.code,
      detail: error?.message,
    });
  }
}
