// One hs2 request on its way through the proxy: an undici dispatch handler that streams the
// coordinator's response to the client with backpressure both ways, and that moves the request to
// a peer when its coordinator fails before the response began (DESIGN §5).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { ProxyError, fromUpstreamError, toHttpStatus } from '../errors.ts';
import { isHopByHop } from '../http/headers.ts';
import type { Coordinator, FailoverTarget } from '../upstream/coordinator.ts';
import type { RequestBody } from './request-body.ts';
import { streamRemainingBody } from './request-body.ts';
import type { Hs2RequestHead } from './request-head.ts';
import type { RouteDecision, Verdict } from './route.ts';
import { readOpenSessionReply } from './sniff.ts';
import type { SniffedRequest } from './sniff.ts';
import type { Hs2Proxy } from './proxy.ts';

/** OpenSession replies are small; one larger than this is not inspected. */
const maxInspectedReplyBytes = 64 * 1024;

export class Hs2Exchange implements FailoverTarget {
  readonly proxy: Hs2Proxy;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly head: Hs2RequestHead;
  readonly body: RequestBody;
  readonly sniffed: SniffedRequest;
  readonly clientIp: string;
  readonly startedAt = performance.now();
  /** Coordinators this request was sent to, in order. */
  readonly tried = new Set<Coordinator>();

  coordinator: Coordinator | undefined;
  verdict: Verdict;
  reason: string | undefined;
  setCookie: boolean;
  stripAuth: boolean;
  controller: Dispatcher.DispatchController | undefined;
  hasResponseStarted = false;
  isDone = false;
  bytesOut = 0;
  /** The client's Cookie header without our cookie, parsed once in Hs2Proxy.handle. */
  forwardCookie: string | undefined;
  /** Time spent waiting on coordinators (all attempts); the rest of the duration is the proxy's. */
  upstreamMs = 0;
  #sentAt = 0;
  status = 0;
  replays = 0;
  error: ProxyError | undefined;
  #inspected: Buffer[] | undefined;
  #inspectedBytes = 0;
  #attempt: Attempt | undefined;
  #isLogged = false;

  constructor(proxy: Hs2Proxy, req: IncomingMessage, res: ServerResponse, head: Hs2RequestHead, body: RequestBody, sniffed: SniffedRequest, clientIp: string, decision: RouteDecision) {
    this.proxy = proxy;
    this.req = req;
    this.res = res;
    this.head = head;
    this.body = body;
    this.sniffed = sniffed;
    this.clientIp = clientIp;
    this.verdict = decision.verdict;
    this.reason = decision.reason;
    this.setCookie = decision.setCookie;
    this.stripAuth = decision.stripAuth;
    res.once('close', () => this.#onClientClose());
  }

  send(coordinator: Coordinator): void {
    this.coordinator = coordinator;
    this.controller = undefined;
    this.tried.add(coordinator);
    this.#sentAt = performance.now();
    coordinator.inFlight.add(this);
    if (this.sniffed.method === 'OpenSession') coordinator.pendingOpens += 1;
    const body = this.body.isComplete ? this.body.prefix : streamRemainingBody(this.body.prefix, this.req);
    this.#attempt = new Attempt(this);
    coordinator.pool.dispatch(
      {
        path: this.req.url ?? '/',
        method: this.req.method as Dispatcher.HttpMethod,
        headers: this.proxy.upstreamHeaders(this),
        body: this.req.method === 'POST' ? body : null,
      },
      this.#attempt,
    );
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.isDone) controller.abort(this.error ?? new ProxyError('CLIENT_ABORTED', 'client went away'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (statusCode < 200) return; // 100 Continue and friends stay between us and the coordinator
    this.hasResponseStarted = true;
    this.status = statusCode;
    const res = this.res;
    const out: string[] = [];
    if (this.setCookie) out.push('set-cookie', this.proxy.setCookieFor(this.coordinator!, this.req));
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || isHopByHop(name)) continue;
      if (typeof value === 'string') out.push(name, value);
      else for (const item of value) out.push(name, item);
    }
    // impala-shell 4.6 retries a 401 on the same connection only when it is closed
    // (research/impala-protocol.md §2, "Connection reuse"); impalad always closes after a 401.
    if (statusCode === 401) out.push('connection', 'close');
    res.writeHead(statusCode, statusMessage || undefined, out);
    if (statusCode === 200 && this.sniffed.method === 'OpenSession') this.#inspected = [];
    res.on('drain', () => controller.resume());
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bytesOut += chunk.length;
    if (this.#inspected !== undefined) {
      this.#inspectedBytes += chunk.length;
      if (this.#inspectedBytes <= maxInspectedReplyBytes) this.#inspected.push(chunk);
      else this.#inspected = undefined;
    }
    if (!this.res.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    const coordinator = this.coordinator!;
    if (this.#inspected !== undefined) {
      const key = readOpenSessionReply(Buffer.concat(this.#inspected));
      if (key !== undefined) this.proxy.sessions.learn(key, coordinator.name);
    } else if (this.status === 200 && this.sniffed.method === 'CloseSession' && this.sniffed.sessionKey !== undefined) {
      this.proxy.sessions.forget(this.sniffed.sessionKey);
    }
    this.res.end();
    this.#finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, cause: Error): void {
    const coordinator = this.coordinator!;
    this.#release(coordinator);
    if (this.isDone) return this.#finish(); // the client left first
    const error = fromUpstreamError(cause, coordinator.name);
    this.proxy.reportFailure(coordinator, error);
    if (this.hasResponseStarted) {
      // Response bytes already reached the client: all we can do is end its connection.
      this.error = error;
      this.res.destroy(error);
      return this.#finish();
    }
    if (error.replayable && this.body.isComplete) {
      const peer = this.proxy.choosePeer(this);
      if (peer !== undefined) {
        this.replays += 1;
        this.verdict = 'repinned';
        this.reason = `failover: ${error.code}`;
        this.setCookie = true;
        this.stripAuth = true;
        this.proxy.logger.warn({ event: 'replay', rpc: this.sniffed.method, from: coordinator.name, to: peer.name, code: error.code }, `replaying ${this.sniffed.method ?? 'request'} from ${coordinator.name} to ${peer.name}: ${error.message}`);
        this.send(peer);
        return;
      }
    }
    this.error = error;
    if (error.replayable) {
      // Re-pin even when answering an error, so the client's retry lands on a healthy peer.
      const peer = this.proxy.choosePeer(this);
      if (peer !== undefined) {
        this.coordinator = peer;
        this.verdict = 'repinned';
        this.reason = `failover: ${error.code}`;
        this.setCookie = true;
      } else {
        this.setCookie = false;
        // Every available coordinator has failed this request (the last one may still count as
        // up: a reset alone does not mark it down). Say so as DESIGN §4 does for "no coordinator
        // available" (503 + Retry-After, pin unchanged), not as a 502 the client cannot tell from
        // a broken proxy; impyla and impala-shell honour Retry-After. A certificate or protocol
        // failure is a misconfiguration, not an absence: it stays a 502 that names the cause.
        if (error.code !== 'UPSTREAM_TLS' && error.code !== 'UPSTREAM_PROTOCOL') {
          this.error = new ProxyError('NO_COORDINATOR', `no other coordinator is available: ${error.message}`, { cause: error });
        }
      }
    }
    this.proxy.respondError(this, this.error, toHttpStatus(this.error));
    this.#finish();
  }

  /** The coordinator was marked down while this request waited on it. */
  failover(reason: string): void {
    if (this.hasResponseStarted || this.isDone) return;
    const error = new ProxyError('UPSTREAM_DOWN', `${this.coordinator?.name} marked down: ${reason}`);
    if (this.controller !== undefined) {
      this.controller.abort(error);
      return;
    }
    // Still waiting for a connection (to a frozen coordinator the TLS handshake never ends): undici
    // has no controller to abort it with until it starts, which is connectTimeoutMs away. Abandon
    // that dispatch, so it is aborted before it writes a byte, and move on to a peer now.
    this.#attempt?.abandon();
    this.onResponseError(undefined, error);
  }

  #onClientClose(): void {
    if (this.res.writableFinished || this.isDone) return;
    this.isDone = true;
    this.error ??= new ProxyError('CLIENT_ABORTED', 'client closed the connection before the response ended');
    this.controller?.abort(this.error);
  }

  #release(coordinator: Coordinator): void {
    if (!coordinator.inFlight.delete(this)) return;
    this.upstreamMs += performance.now() - this.#sentAt;
    if (this.sniffed.method === 'OpenSession') coordinator.pendingOpens -= 1;
  }

  #finish(): void {
    if (this.coordinator !== undefined) this.#release(this.coordinator);
    for (const coordinator of this.tried) this.#release(coordinator);
    this.isDone = true;
    if (this.#isLogged) return;
    this.#isLogged = true;
    this.proxy.logAccess(this);
  }
}

/**
 * One dispatch of an exchange to one coordinator. Forwards undici's callbacks to the exchange
 * until abandoned; an abandoned dispatch is aborted when it starts and its late callbacks are
 * dropped, so they cannot touch the exchange's next attempt.
 */
class Attempt implements Dispatcher.DispatchHandler {
  readonly #exchange: Hs2Exchange;
  #isAbandoned = false;

  constructor(exchange: Hs2Exchange) {
    this.#exchange = exchange;
  }

  abandon(): void {
    this.#isAbandoned = true;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.#isAbandoned) controller.abort(new ProxyError('UPSTREAM_DOWN', 'abandoned: the coordinator was marked down while this request waited for a connection'));
    else this.#exchange.onRequestStart(controller);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (!this.#isAbandoned) this.#exchange.onResponseStart(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#isAbandoned) this.#exchange.onResponseData(controller, chunk);
  }

  onResponseEnd(): void {
    if (!this.#isAbandoned) this.#exchange.onResponseEnd();
  }

  onResponseError(controller: Dispatcher.DispatchController, cause: Error): void {
    if (!this.#isAbandoned) this.#exchange.onResponseError(controller, cause);
  }
}
