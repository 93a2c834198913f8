// The hs2 data path of one config generation: every request that is not for /ui or the proxy
// itself. Checks the request (method, target, body), reads the affinity cookie and the Thrift
// prefix, routes (route.ts) and hands the request to an Hs2Exchange. A request the proxy refuses
// ends here, in an Outcome like any other; it never reaches a coordinator, so it can never count
// against one (STYLE rule 12).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { takeAffinityCookie } from '../affinity/cookie-header.ts';
import type { Config } from '../config/schema.ts';
import { ProxyError, toHttpStatus } from '../errors.ts';
import { clientAddress } from '../http/headers.ts';
import { respondText } from '../http/respond.ts';
import type { Logger } from '../log.ts';
import type { CoordinatorSet } from '../upstream/coordinator-set.ts';
import type { HealthMonitor } from '../upstream/health-monitor.ts';
import { Candidates, type Routing } from './candidates.ts';
import { Hs2Exchange, type ExchangeContext } from './exchange.ts';
import type { Outcome, OutcomeSink } from './outcome.ts';
import { IdleWatch } from '../http/idle-watch.ts';
import { readRequestBody, type RequestBody } from './request-body.ts';
import { readRequestHead } from './request-head.ts';
import { parseRequestTarget } from './request-target.ts';
import { routeRequest } from './route.ts';
import { RpcLimits } from './rpc-limits.ts';
import type { SessionMap } from './session-map.ts';
import { sniffRequest, unknownRequest, type SniffedRequest } from './sniff.ts';
import { checkThriftCall } from './thrift-check.ts';

/**
 * The sniffer reads at least this much of a body before it gives up on finding the message header
 * and the session handle, however small upstream.maxReplayBytes is (0 is allowed: no replays).
 */
const sniffWindowBytes = 64 * 1024;

export interface Hs2HandlerOptions {
  readonly config: Config;
  readonly coordinators: CoordinatorSet;
  /** The generation that serves now (for replays of requests that outlive this one). */
  readonly routing: () => Routing;
  readonly sessions: SessionMap;
  readonly monitor: HealthMonitor;
  readonly finish: OutcomeSink;
  readonly logger: Logger;
}

export class Hs2Handler {
  readonly #coordinators: CoordinatorSet;
  readonly #routing: () => Routing;
  readonly #sessions: SessionMap;
  readonly #finish: OutcomeSink;
  readonly #context: ExchangeContext;
  readonly #cookieName: string;
  readonly #keepXForwardedFor: boolean;
  readonly #maxReplayBytes: number;
  readonly #sessionOwner: (key: string) => string | undefined;
  /** Responses of this generation not yet closed: its pools close only once there are none. */
  #active = 0;
  #idle: (() => void)[] = [];
  readonly #onResponseClose = (): void => {
    if (--this.#active > 0) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  };

  constructor(options: Hs2HandlerOptions) {
    const { config } = options;
    this.#coordinators = options.coordinators;
    this.#routing = options.routing;
    this.#sessions = options.sessions;
    this.#finish = options.finish;
    this.#cookieName = config.cookie.name;
    this.#keepXForwardedFor = config.upstream.xForwardedFor === 'off';
    this.#maxReplayBytes = config.upstream.maxReplayBytes;
    this.#sessionOwner = (key) => this.#sessions.lookup(key);
    // A coordinator needs `rise` good probes to come back; clients should not retry sooner.
    const health = config.health;
    this.#context = {
      headers: { cookieName: config.cookie.name, xForwardedFor: config.upstream.xForwardedFor },
      limits: new RpcLimits(config.upstream),
      retryAfterSec: String(Math.max(1, Math.ceil((health.intervalMs * health.rise) / 1000))),
      monitor: options.monitor,
      finish: options.finish,
      logger: options.logger,
      // Request bodies that go quiet: one sweep for all of them, closed with the generation.
      bodyIdle: new IdleWatch(config.server.requestBodyIdleTimeoutMs),
      bodyMinBytesPerSec: config.server.requestBodyMinBytesPerSec,
      // Responses a client stopped reading: the same, for server.responseDrainTimeoutMs.
      responseDrain: new IdleWatch(config.server.responseDrainTimeoutMs),
    };
  }

  /** The generation is retired and its requests are done. */
  close(): void {
    this.#context.bodyIdle.close();
    this.#context.responseDrain.close();
  }

  /** Resolves once every request this handler took has its response closed. */
  whenIdle(): Promise<void> {
    return this.#active === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    this.#active += 1;
    res.on('close', this.#onResponseClose); // 'close' comes once; `once` would wrap the listener per request
    const clientIp = clientAddress(req.socket.remoteAddress);
    const method = req.method;
    if (method !== 'POST' && method !== 'OPTIONS') {
      // impalad closes the connection without a response for other methods; we say why.
      return this.#refuse(res, startedAt, clientIp, new ProxyError('CLIENT_METHOD_NOT_ALLOWED', `${method} is not supported: hs2-http takes POST`), { allow: 'POST, OPTIONS' });
    }
    // Only origin-form targets reach a coordinator: undici refuses others inside dispatch(), and
    // an asterisk or foreign-scheme target must never look like a coordinator's failure.
    const target = parseRequestTarget(req.url);
    if (target.kind === 'invalid') return this.#refuse(res, startedAt, clientIp, new ProxyError('CLIENT_BAD_REQUEST', `bad request target: ${target.reason}`), { connection: 'close' });
    if (method === 'OPTIONS') return this.#answerPreflight(res, startedAt, clientIp);

    let body: RequestBody;
    let sniffed: SniffedRequest | undefined;
    try {
      body = await readRequestBody(req, this.#maxReplayBytes, this.#context.bodyIdle);
      sniffed = sniffRequest(body.prefix, body.isComplete);
      while (sniffed === undefined && !body.isComplete && body.prefix.length < sniffWindowBytes) {
        body = await readRequestBody(req, sniffWindowBytes, this.#context.bodyIdle, body.prefix);
        sniffed = sniffRequest(body.prefix, body.isComplete);
      }
    } catch (error) {
      // The client went away or went quiet mid-body (CLIENT_ABORTED, CLIENT_TIMEOUT); nothing
      // reached a coordinator. The rest of the body is unread: the connection cannot be kept.
      return this.#refuse(res, startedAt, clientIp, error as ProxyError, { connection: 'close' });
    }
    sniffed ??= unknownRequest;
    if (sniffed.method === undefined) {
      // impalad drops the connection on a body that is not a binary-protocol Thrift call.
      return this.#refuse(res, startedAt, clientIp, new ProxyError('CLIENT_BAD_REQUEST', 'request body is not a Thrift binary-protocol call'), { connection: 'close' }, body);
    }
    // A body that is not one well-formed Thrift message never reaches a coordinator: impalad would
    // reset the connection, and each reset looked like a failing coordinator (issue 10 item 4).
    const check = checkThriftCall(body.prefix, body.isComplete);
    if (check.kind === 'invalid') {
      return this.#refuse(res, startedAt, clientIp, new ProxyError('CLIENT_BAD_REQUEST', `malformed Thrift ${sniffed.method} call: ${check.problem}`), { connection: 'close' }, body, sniffed.method);
    }

    const head = readRequestHead(req.rawHeaders, this.#keepXForwardedFor);
    const cookie = takeAffinityCookie(head.cookie, this.#cookieName);
    const candidates = new Candidates(this.#routing, { clientIp });
    const decision = routeRequest({ cookie, sniffed }, { coordinators: this.#coordinators, sessionOwner: this.#sessionOwner, candidates });
    const isTls = (req.socket as TLSSocket).encrypted === true;
    const exchange = new Hs2Exchange(
      this.#context,
      { req, res, path: target.path, head, body, sniffed, clientIp, isTls, forwardCookie: cookie.forwardHeader, candidates, startedAt },
      decision,
    );
    exchange.start();
  }

  /**
   * A CORS preflight gets the answer impalad gives every OPTIONS request (THttpServer.cpp
   * parseStatusLine: a fixed 200 with these headers and no body), without a coordinator.
   */
  #answerPreflight(res: ServerResponse, startedAt: number, clientIp: string): void {
    res.writeHead(200, preflightHeaders).end();
    this.#finish(refusal(undefined, clientIp, 200, startedAt, undefined, undefined));
  }

  /** The proxy answers itself (or, when the client left, nothing), and the request ends in an Outcome. */
  #refuse(res: ServerResponse, startedAt: number, clientIp: string, error: ProxyError, headers: Record<string, string> = {}, body?: RequestBody, rpc?: string): void {
    const status = toHttpStatus(error);
    const isSent = error.source === 'client' && status !== 499 ? respondText(res, status, `${error.message}\n`, headers) : false;
    this.#finish(refusal(rpc, clientIp, isSent ? status : 0, startedAt, error, body));
  }
}

const preflightHeaders = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'Content-Type',
  'content-length': 0,
};

/** The Outcome of a request the proxy answered without routing it. */
function refusal(rpc: string | undefined, clientIp: string, status: number, startedAt: number, error: ProxyError | undefined, body: RequestBody | undefined): Outcome {
  return {
    rpc,
    client: clientIp,
    verdict: undefined,
    repin: undefined,
    servedBy: undefined,
    pinnedTo: undefined,
    status,
    bytesIn: body?.prefix.length ?? 0,
    bytesOut: 0,
    totalMs: performance.now() - startedAt,
    upstreamMs: 0,
    attempts: [],
    error,
    openedSession: undefined,
    closedSession: undefined,
  };
}
