// /ui: the coordinator index, and each coordinator's web UI under /ui/<n>/ (or /ui/<name>/),
// proxied with http-proxy-3 and fenced as research/aesthetics.md §6.3 describes: one ProxyServer
// per coordinator built here at start (P14), guards before proxy.web (P2, P3, P6), our own error,
// timeout and abort handling (P4, P5, P15), and our own response head (P8–P10, P12).
import type { Agent as HttpAgent, IncomingMessage, ServerResponse } from 'node:http';
import { Agent as PlainAgent } from 'node:http';
import { Agent as TlsAgent } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { ProxyServer } from 'http-proxy-3';
import { takeAffinityCookie } from '../affinity/cookie-header.ts';
import type { Config } from '../config/schema.ts';
import { fromUpstreamError, ProxyError, toHttpStatus } from '../errors.ts';
import { hasBody, refusalOf, stripRequestHeaders, upstreamIsChunked } from '../http/guards.ts';
import { clientAddress } from '../http/headers.ts';
import { IdleWatch } from '../http/idle-watch.ts';
import { respondText } from '../http/respond.ts';
import type { Logger } from '../log.ts';
import { tlsConnectOptions, type UpstreamTlsOptions } from '../tls/files.ts';
import type { Coordinator } from '../upstream/coordinator.ts';
import type { CoordinatorSet } from '../upstream/coordinator-set.ts';
import { indexPage, notFoundPage, pageHeaders } from './pages.ts';
import { parseUiTarget } from './path.ts';
import { UiRewriter } from './rewrite.ts';
import { failResponse, writeUiResponse } from './response.ts';

export interface WebUiProxyOptions {
  readonly config: Config;
  readonly coordinators: CoordinatorSet;
  /** The generation's upstream TLS material (read once there); used when the web UIs are reached over TLS. */
  readonly tls: UpstreamTlsOptions | undefined;
  readonly logger: Logger;
}

/** Everything one coordinator's web UI needs, built once. */
interface Backend {
  readonly coordinator: Coordinator;
  readonly proxy: ProxyServer;
  readonly agent: HttpAgent;
  /** By the prefix the browser uses: `/ui/2` and `/ui/<name>` keep their own links and cookies. */
  readonly rewriters: ReadonlyMap<string, UiRewriter>;
}

/** Which UiRewriter (hence which prefix) a proxied request's response is rewritten with. */
const rewriterOf = new WeakMap<IncomingMessage, UiRewriter>();

export class WebUiProxy {
  readonly #config: Config;
  readonly #coordinators: CoordinatorSet;
  readonly #logger: Logger;
  readonly #backends = new Map<Coordinator, Backend>();
  readonly #cookieName: string;
  /** Streamed responses whose client stopped reading: cut after server.responseDrainTimeoutMs. */
  readonly #drain: IdleWatch;
  #closed = false;

  constructor(options: WebUiProxyOptions) {
    const { config, coordinators, logger } = options;
    this.#config = config;
    this.#coordinators = coordinators;
    this.#logger = logger.child({ component: 'webui' });
    this.#cookieName = config.cookie.name;
    this.#drain = new IdleWatch(config.server.responseDrainTimeoutMs);
    if (!config.webui.enabled) return;
    const isTls = (config.upstream.webuiMode ?? config.upstream.mode) === 'tls';
    const tls = isTls ? options.tls : undefined;
    const peers = new Map<string, string>();
    for (const c of coordinators.all) for (const authority of authoritiesOf(c)) peers.set(authority, `/ui/${c.index}`);
    for (const coordinator of coordinators.all) this.#backends.set(coordinator, this.#buildBackend(coordinator, tls, peers));
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    if (!this.#config.webui.enabled) {
      respondText(res, 404, 'the web UI proxy is disabled (webui.enabled: false)\n');
      return;
    }
    if (this.#closed) {
      respondText(res, 503, 'the proxy is shutting down\n');
      return;
    }
    const refusal = refusalOf(req);
    if (refusal !== undefined) {
      if (refusal.isClosing) res.setHeader('connection', 'close');
      if (refusal.status === 405) res.setHeader('allow', 'GET, HEAD, POST');
      respondText(res, refusal.status, `rejected request: ${refusal.reason}\n`);
      return;
    }
    const target = parseUiTarget(req.url ?? '/');
    switch (target.kind) {
      case 'invalid':
        respondText(res, 400, `bad web UI path: ${target.reason}\n`);
        return;
      case 'index':
        return this.#respondPage(req, res, 200, () => indexPage(this.#coordinators.all));
      case 'redirect': {
        const known = this.#coordinators.byIndexOrName(target.key);
        if (known === undefined) return this.#respondPage(req, res, 404, () => notFoundPage(target.key, this.#coordinators.all));
        // 302, not 301: a permanent redirect would be cached past a config change.
        res.writeHead(302, { location: target.location, 'content-length': 0, 'cache-control': 'no-store' }).end();
        return;
      }
      case 'proxy':
        break;
    }
    const coordinator = this.#coordinators.byIndexOrName(target.key);
    const backend = coordinator === undefined ? undefined : this.#backends.get(coordinator);
    if (backend === undefined) return this.#respondPage(req, res, 404, () => notFoundPage(target.key, this.#coordinators.all));
    const hasRequestBody = hasBody(req);
    this.#prepareHeaders(req, target.upstreamPath);
    // Decided on what will be sent, after the strip: a chunked body never shares an upstream connection.
    if (upstreamIsChunked(req.headers, hasRequestBody)) req.headers.connection = 'close';
    req.url = target.upstreamPath;
    rewriterOf.set(req, backend.rewriters.get(target.prefix) ?? new UiRewriter({ prefix: target.prefix, ownAuthorities: authoritiesOf(coordinator!) }));
    try {
      backend.proxy.web(req, res);
    } catch (error) {
      // Node's http.request throws synchronously on a path it will not send (ERR_UNESCAPED_CHARACTERS).
      this.#logger.debug({ event: 'webui-request-rejected', code: (error as NodeJS.ErrnoException).code }, (error as Error).message);
      respondText(res, 400, 'bad web UI request\n');
    }
  }

  /**
   * Idempotent. New requests get 503; idle keep-alive sockets close now, and each busy one when
   * its response is done: with maxFreeSockets 0, Node's Agent destroys a socket instead of
   * keeping it on 'free'. A request still hanging ends when its client goes (the abort wiring)
   * or the listener closing destroys the client connection.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#drain.retire();
    for (const { agent } of this.#backends.values()) {
      agent.maxFreeSockets = 0;
      for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
    }
  }

  #buildBackend(coordinator: Coordinator, tls: UpstreamTlsOptions | undefined, peers: ReadonlyMap<string, string>): Backend {
    const { webui, upstream } = this.#config;
    const host = coordinator.config.host;
    // Agent options override request options in Node's Agent#addRequest, so TLS settings live here.
    // Idle sockets are dropped after upstream.keepAliveTimeoutMs, the same limit as the hs2 pools;
    // it must stay below the coordinator's own idle limit or a reused socket may be one the
    // coordinator is closing (nodejs/node#47130).
    const agentOptions = { keepAlive: true, maxSockets: webui.maxSocketsPerCoordinator, timeout: upstream.keepAliveTimeoutMs };
    const agent = tls === undefined
      ? new PlainAgent(agentOptions)
      : new TlsAgent({ ...agentOptions, ...tlsConnectOptions(tls, host) });
    const proxy = new ProxyServer({
      target: coordinator.webuiOrigin,
      agent,
      secure: tls?.rejectUnauthorized ?? true,
      changeOrigin: true,
      selfHandleResponse: true,
      connectTimeout: upstream.connectTimeoutMs,
      followRedirects: false,
      // xfwd stays off: X-Forwarded-For follows config.upstream.xForwardedFor (#prepareHeaders).
    });
    const logger = this.#logger.child({ coordinator: coordinator.name });
    const timeoutMs = webui.timeoutMs;
    proxy.on('proxyReq', (proxyReq, _req, res) => {
      // P15: our own timer and error code, so the error handler can tell a timeout (504) from a reset.
      proxyReq.setTimeout(timeoutMs, () => proxyReq.destroy(new ProxyError('UPSTREAM_HEADERS_TIMEOUT', `web UI of ${coordinator.name} did not answer within ${timeoutMs} ms`)));
      // P5: a client that goes away stops the coordinator's work. http-proxy-3 does the same in
      // web-incoming; kept so the guarantee does not rest on it (test/regressions/webui-client-abort).
      res.once('close', () => {
        if (!res.writableFinished) proxyReq.destroy();
      });
    });
    proxy.on('proxyRes', (proxyRes, req, res) => {
      const rewriter = rewriterOf.get(req)!;
      writeUiResponse(proxyRes, req, res, rewriter, logger, this.#drain);
    });
    proxy.on('econnreset', (error) => logger.debug({ event: 'webui-client-abort', code: (error as NodeJS.ErrnoException).code }, 'client went away'));
    proxy.on('error', (error, req, res) => {
      const failure = classify(error, coordinator.name);
      const status = toHttpStatus(failure);
      logger.warn({ event: 'webui-upstream-error', error: failure.code, path: req.url }, failure.message);
      if ('writeHead' in res) failResponse(res, status, `${failure.message}\n`);
      else res.destroy();
    });
    const rewriters = new Map<string, UiRewriter>();
    for (const key of [String(coordinator.index), coordinator.name]) {
      const prefix = `/ui/${key}`;
      rewriters.set(prefix, new UiRewriter({ prefix, ownAuthorities: authoritiesOf(coordinator), peers }));
    }
    return { coordinator, proxy, agent, rewriters };
  }

  /** Request headers in place (http-proxy copies req.headers): see the guards and DESIGN §7. */
  #prepareHeaders(req: IncomingMessage, upstreamPath: string): void {
    const headers = req.headers;
    stripRequestHeaders(headers);
    // impalad emits absolute links when it sees X-Forwarded-Context (research §4); root-absolute
    // ones are the ones the rewriter knows how to move under the prefix.
    delete headers['x-forwarded-context'];
    // Our affinity cookie is for the hs2 path (Path=/); impalad's web UI must not see it.
    // impala.auth and Authorization (Basic/Negotiate) pass through untouched.
    if (headers.cookie !== undefined) {
      const forward = takeAffinityCookie(headers.cookie, this.#cookieName).forwardHeader;
      if (forward === undefined) delete headers.cookie;
      else headers.cookie = forward;
    }
    // Pages are rewritten, so they are asked for uncompressed; assets and ?json stream as they come.
    if (!isPassThrough(upstreamPath)) headers['accept-encoding'] = 'identity';
    const mode = this.#config.upstream.xForwardedFor;
    const ip = clientAddress(req.socket.remoteAddress);
    if (mode === 'overwrite') headers['x-forwarded-for'] = ip;
    else if (mode === 'append') headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${ip}` : ip;
    headers['x-forwarded-proto'] = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
    // What the client addressed, said by the proxy: a client's own X-Forwarded-Host or RFC 7239
    // Forwarded would be believed by any next hop that reads them (impalad reads neither today,
    // research §4). Host itself is the client's still: http-proxy's changeOrigin sets it later.
    if (headers.host === undefined) delete headers['x-forwarded-host'];
    else headers['x-forwarded-host'] = headers.host;
    delete headers.forwarded;
  }

  #respondPage(req: IncomingMessage, res: ServerResponse, status: number, render: () => string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      respondText(res, 405, `${req.method} is not supported here\n`);
      return;
    }
    const body = render();
    res.writeHead(status, { ...pageHeaders, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

/** Static files and `?json` views are never rewritten (research §4: `/www/...`, `?json`). */
function isPassThrough(upstreamPath: string): boolean {
  if (upstreamPath.startsWith('/www/')) return true;
  const question = upstreamPath.indexOf('?');
  return question !== -1 && /(?:^|&)json(?:[=&]|$)/.test(upstreamPath.slice(question + 1));
}

/** `host:port` forms under which a coordinator's web UI can appear in absolute URLs it emits. */
function authoritiesOf(coordinator: Coordinator): string[] {
  const url = new URL(coordinator.webuiOrigin);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return [`${url.hostname.toLowerCase()}:${port}`];
}

function classify(error: Error, coordinatorName: string): ProxyError {
  if (error instanceof ProxyError) return error;
  // http-proxy-3 setupConnectTimeout destroys the socket with this code.
  if ((error as NodeJS.ErrnoException).code === 'ECONNECT_TIMEOUT') {
    return new ProxyError('UPSTREAM_CONNECT_TIMEOUT', `connect timed out to the web UI of ${coordinatorName}`, { cause: error });
  }
  return fromUpstreamError(error, coordinatorName);
}
