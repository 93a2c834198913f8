// One hs2 request on its way through the proxy, after routing: an undici dispatch handler that
// streams the coordinator's response to the client with backpressure both ways, moves the request
// to a peer when its coordinator fails before the response began (failover.ts decides), and ends
// in one Outcome. It reads its generation's settings and never calls back into the handler that
// made it: handler → exchange → outcome.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { ProxyError, fromUpstreamError, toHttpStatus } from '../errors.ts';
import { isHopByHop } from '../http/headers.ts';
import { respondText } from '../http/respond.ts';
import type { Logger } from '../log.ts';
import type { Coordinator, DispatchAttempt } from '../upstream/coordinator.ts';
import type { HealthMonitor } from '../upstream/health-monitor.ts';
import type { InFlight } from '../upstream/registry.ts';
import type { Candidates } from './candidates.ts';
import type { IdleWatch, Watched } from '../http/idle-watch.ts';
import { answerFor, decideFailure, isEvidence } from './failover.ts';
import type { AttemptRecord, OutcomeSink, RepinReason, Verdict } from './outcome.ts';
import type { RequestBody } from './request-body.ts';
import { streamRemainingBody } from './request-body.ts';
import type { Hs2RequestHead } from './request-head.ts';
import type { RouteDecision } from './route.ts';
import type { RpcLimits } from './rpc-limits.ts';
import { readOpenSessionReply, readReplyStatusCode, type SniffedRequest } from './sniff.ts';
import { upstreamHeaders, type HeaderSettings } from './upstream-headers.ts';

/** OpenSession and CloseSession replies are small; one larger than this is not inspected. */
const maxInspectedReplyBytes = 64 * 1024;

const unavailableText = 'no Impala coordinator is available, retry later\n';

/** What every exchange of one generation shares, built once. */
export interface ExchangeContext {
  readonly headers: HeaderSettings;
  readonly limits: RpcLimits;
  /** Retry-After of a 503, in seconds. */
  readonly retryAfterSec: string;
  readonly monitor: HealthMonitor;
  readonly finish: OutcomeSink;
  readonly logger: Logger;
  /** Watches a body streamed past maxReplayBytes for server.requestBodyIdleTimeoutMs (the handler owns it). */
  readonly bodyIdle: IdleWatch;
  /** server.requestBodyMinBytesPerSec, for bodies streamed past maxReplayBytes. */
  readonly bodyMinBytesPerSec: number;
  /** Watches a response the client stopped taking, for server.responseDrainTimeoutMs (the handler owns it). */
  readonly responseDrain: IdleWatch;
}

/** One request as the handler prepared it. */
export interface ExchangeRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Origin-form request target, as validated (request-target.ts). */
  readonly path: string;
  readonly head: Hs2RequestHead;
  readonly body: RequestBody;
  readonly sniffed: SniffedRequest;
  readonly clientIp: string;
  readonly isTls: boolean;
  /** The client's Cookie header without our cookie. */
  readonly forwardCookie: string | undefined;
  readonly candidates: Candidates;
  readonly startedAt: number;
}

export class Hs2Exchange implements InFlight {
  readonly rpc: string | undefined;
  readonly #context: ExchangeContext;
  readonly #request: ExchangeRequest;
  /** The coordinator of the current (or last) attempt. */
  #coordinator: Coordinator | undefined;
  /** The coordinator a Set-Cookie names; the attempt's, or a peer when the proxy answers a failure. */
  #pinTo: Coordinator | undefined;
  #verdict: Verdict;
  #reason: RepinReason | undefined;
  #setCookie: boolean;
  #stripAuth: boolean;
  #controller: Dispatcher.DispatchController | undefined;
  /** While the client's socket buffer is full: watched for server.responseDrainTimeoutMs. */
  #stall: Watched | undefined;
  #attempt: Attempt | undefined;
  #attemptStartedAt = 0;
  readonly #attempts: AttemptRecord[] = [];
  /** Failed attempts whose failure may have been this request's own doing (failover.ts). */
  #implicatingFailures = 0;
  #upstreamMs = 0;
  #hasResponseStarted = false;
  #isDone = false;
  #isFinished = false;
  #status = 0;
  #bytesOut = 0;
  #error: ProxyError | undefined;
  #inspected: Buffer[] | undefined;
  #inspectedBytes = 0;
  #openedSession: string | undefined;
  #closedSession: string | undefined;

  constructor(context: ExchangeContext, request: ExchangeRequest, decision: RouteDecision) {
    this.#context = context;
    this.#request = request;
    this.rpc = request.sniffed.method;
    this.#pinTo = decision.coordinator;
    this.#verdict = decision.verdict;
    this.#reason = decision.reason;
    this.#setCookie = decision.setCookie;
    this.#stripAuth = decision.stripAuth;
    request.res.on('close', () => this.#onClientClose()); // 'close' comes once; `once` would add a wrapper
  }

  /** Sends to the routed coordinator, or answers 503 when there is none. */
  start(): void {
    const coordinator = this.#pinTo;
    if (coordinator !== undefined) return this.#send(coordinator);
    this.#setCookie = false;
    this.#answer(new ProxyError('NO_COORDINATOR', 'no coordinator is available'));
  }

  /** Response body bytes sent to the client so far. */
  get bytesOut(): number {
    return this.#bytesOut;
  }

  /** The coordinator's response is held back because the client does not read (backpressure). */
  get isUpstreamPaused(): boolean {
    return this.#controller?.paused === true;
  }

  /** InFlight: the coordinator was marked down while this request waited on it. */
  failover(reason: string): void {
    this.#interrupt(new ProxyError('UPSTREAM_DOWN', `${this.#coordinator?.name} marked down: ${reason}`));
  }

  /**
   * The current attempt fails with `error` unless its response began (or the exchange is over);
   * onResponseError then decides what follows, as for a failure undici reports.
   */
  #interrupt(error: Error): void {
    if (this.#hasResponseStarted || this.#isDone) return;
    if (!this.#abortOrAbandon(error)) this.onResponseError(undefined, error);
  }

  /**
   * Stops the current dispatch. True when undici had started it: its onResponseError follows. False
   * when it is still waiting for a connection (to a frozen coordinator the TLS handshake never
   * ends): undici has no controller to abort it with until it starts, which is connectTimeoutMs
   * away, so the dispatch is abandoned, aborted before it writes a byte, and the caller goes on now.
   */
  #abortOrAbandon(error: Error): boolean {
    if (this.#controller !== undefined) {
      this.#controller.abort(error);
      return true;
    }
    this.#attempt?.abandon();
    return false;
  }

  #send(coordinator: Coordinator): void {
    const request = this.#request;
    this.#coordinator = coordinator;
    this.#pinTo = coordinator;
    this.#controller = undefined;
    request.candidates.markTried(coordinator);
    coordinator.state.track(this);
    this.#attemptStartedAt = performance.now();
    const body = request.body;
    const headers = upstreamHeaders(
      { head: request.head, forwardCookie: request.forwardCookie, stripAuth: this.#stripAuth, isBodyComplete: body.isComplete, clientIp: request.clientIp, isTls: request.isTls },
      this.#context.headers,
    );
    this.#attempt = new Attempt(this);
    coordinator.dispatch(
      {
        path: request.path,
        method: 'POST',
        headers,
        body: body.isComplete ? body.prefix : this.#streamBody(),
        headersTimeout: this.#context.limits.headersTimeoutMs(this.rpc),
      },
      this.#attempt,
      !body.isComplete,
    );
  }

  /**
   * The rest of a body too large to keep. Its failures (the client went quiet or away) are heard at
   * once, also while the request still waits for a pooled connection and undici does not listen:
   * a client that trickles bytes is answered 408 then, not when a connection frees.
   */
  #streamBody() {
    const request = this.#request;
    const stream = streamRemainingBody(request.body.prefix, request.req, this.#context.bodyIdle, this.#context.bodyMinBytesPerSec);
    stream.once('error', (error: Error) => this.#interrupt(error));
    return stream;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#isDone) controller.abort(this.#error ?? new ProxyError('CLIENT_ABORTED', 'client went away'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (statusCode < 200) return; // 100 Continue and friends stay between us and the coordinator
    this.#hasResponseStarted = true;
    this.#status = statusCode;
    const res = this.#request.res;
    const out: string[] = [];
    // Ours first: impyla 0.18 and impala-shell 4.1–4.2 on Python 3 read only the first Set-Cookie.
    if (this.#setCookie) out.push('set-cookie', this.#setCookieValue());
    // Routed by its session handle while the cookie names another coordinator: the client's cookies
    // (impala.auth among them) belong to that one, so this coordinator's are not passed on.
    const keepsCookies = this.#verdict !== 'handle';
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || isHopByHop(name) || (!keepsCookies && name === 'set-cookie')) continue;
      if (typeof value === 'string') out.push(name, value);
      else for (const item of value) out.push(name, item);
    }
    // impala-shell 4.6 retries a 401 on the same connection only when it is closed
    // (research/impala-protocol.md §2, "Connection reuse"); impalad always closes after a 401.
    if (statusCode === 401) out.push('connection', 'close');
    res.writeHead(statusCode, statusMessage || undefined, out);
    if (statusCode === 200 && (this.rpc === 'OpenSession' || this.rpc === 'CloseSession')) this.#inspected = [];
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#bytesOut += chunk.length;
    if (this.#inspected !== undefined) {
      this.#inspectedBytes += chunk.length;
      if (this.#inspectedBytes <= maxInspectedReplyBytes) this.#inspected.push(chunk);
      else this.#inspected = undefined;
    }
    const res = this.#request.res;
    // Backpressure: most replies fit the socket buffer, so the drain listener is added only when
    // needed. The paused reply holds a pooled connection (undici's body timeout does not run while
    // paused): a client that takes nothing for responseDrainTimeoutMs is cut, freeing it.
    if (!res.write(chunk)) {
      controller.pause();
      this.#stall = this.#context.responseDrain.watch(() => this.#onClientStalled());
      res.once('drain', () => {
        this.#stall?.stop();
        this.#stall = undefined;
        controller.resume();
      });
    }
  }

  onResponseEnd(): void {
    this.#endAttempt(undefined);
    if (this.#inspected !== undefined) this.#readSessionReply(Buffer.concat(this.#inspected));
    this.#request.res.end();
    this.#finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, cause: Error): void {
    const coordinator = this.#coordinator!;
    const error = fromUpstreamError(cause, coordinator.name);
    this.#endAttempt(error.code);
    if (this.#isDone) return this.#finish(); // the client left first
    if (isEvidence(error, this.#implicatingFailures)) this.#context.monitor.observeFailure(coordinator.name, error);
    const action = decideFailure({ error, hasResponseStarted: this.#hasResponseStarted, isBodyComplete: this.#request.body.isComplete, implicatingFailures: this.#implicatingFailures });
    if (error.implicatesRequest) this.#implicatingFailures += 1;
    if (action === 'cut') {
      this.#error = error;
      this.#request.res.destroy(error);
      return this.#finish();
    }
    const peer = error.replayable ? this.#request.candidates.next() : undefined;
    if (peer !== undefined) this.#repin(peer, error);
    if (action === 'replay' && peer !== undefined) {
      this.#context.logger.warn({ event: 'replay', rpc: this.rpc, from: coordinator.name, to: peer.name, code: error.code }, `replaying ${this.rpc ?? 'request'} from ${coordinator.name} to ${peer.name}: ${error.message}`);
      return this.#send(peer);
    }
    // Answered here; the re-pin (when there is a peer) sends the client's retry to a healthy one.
    if (peer === undefined) this.#setCookie = false;
    this.#answer(answerFor(error, peer !== undefined));
  }

  #repin(peer: Coordinator, error: ProxyError): void {
    this.#pinTo = peer;
    this.#verdict = 'repinned';
    this.#reason = 'failover';
    this.#setCookie = true;
    this.#stripAuth = true;
    this.#error = error;
  }

  #answer(error: ProxyError): void {
    this.#error = error;
    const status = toHttpStatus(error);
    const headers: Record<string, string | string[]> = {};
    // A streamed body may be unread: the connection cannot carry another request.
    if (!this.#request.body.isComplete) headers.connection = 'close';
    if (this.#setCookie && this.#pinTo !== undefined) headers['set-cookie'] = this.#setCookieValue();
    if (status === 503) headers['retry-after'] = this.#context.retryAfterSec;
    if (respondText(this.#request.res, status, status === 503 ? unavailableText : `${error.message}\n`, headers)) this.#status = status;
    this.#finish();
  }

  #setCookieValue(): string {
    const setCookie = this.#pinTo!.setCookie;
    return this.#request.isTls ? setCookie.secure : setCookie.plain;
  }

  #readSessionReply(reply: Buffer): void {
    const key = this.#request.sniffed.sessionKey;
    if (this.rpc === 'OpenSession') this.#openedSession = readOpenSessionReply(reply);
    // impalad answers HTTP 200 for every Thrift reply, errors included: only a successful
    // CloseSession ended the session.
    else if (key !== undefined) {
      const code = readReplyStatusCode(reply);
      if (code === 0 || code === 1) this.#closedSession = key;
    }
  }

  #onClientStalled(): void {
    this.#error ??= new ProxyError('CLIENT_TIMEOUT', `client took no response bytes for ${this.#context.responseDrain.idleTimeoutMs} ms`);
    this.#request.res.destroy(); // the close that follows ends the exchange (#onClientClose)
  }

  #onClientClose(): void {
    if (this.#request.res.writableFinished || this.#isDone) return;
    this.#isDone = true;
    this.#error ??= new ProxyError('CLIENT_ABORTED', 'client closed the connection before the response ended');
    if (this.#abortOrAbandon(this.#error)) return;
    // Not started yet (queued for a connection): nothing reached the coordinator, and it never will.
    if (this.#coordinator !== undefined) this.#endAttempt(this.#error.code);
    this.#finish();
  }

  /** The current attempt is over: it no longer counts as in flight on its coordinator. */
  #endAttempt(code: AttemptRecord['error']): void {
    const coordinator = this.#coordinator;
    if (coordinator === undefined || !coordinator.state.untrack(this)) return;
    const ms = performance.now() - this.#attemptStartedAt;
    this.#upstreamMs += ms;
    this.#attempts.push({ coordinator: coordinator.name, ms, error: code });
  }

  #finish(): void {
    this.#isDone = true;
    if (this.#isFinished) return;
    this.#isFinished = true;
    this.#stall?.stop();
    const request = this.#request;
    const body = request.body;
    const last = this.#attempts.at(-1);
    this.#context.finish({
      rpc: this.rpc,
      client: request.clientIp,
      verdict: this.#verdict,
      repin: this.#reason,
      servedBy: this.#hasResponseStarted && last !== undefined ? last.coordinator : undefined,
      pinnedTo: this.#setCookie && this.#status !== 0 ? this.#pinTo?.name : undefined,
      status: this.#status,
      bytesIn: body.isComplete ? body.prefix.length : Number(request.head.contentLength ?? 0) || 0,
      bytesOut: this.#bytesOut,
      totalMs: performance.now() - request.startedAt,
      upstreamMs: this.#upstreamMs,
      attempts: this.#attempts,
      error: this.#error,
      openedSession: this.#openedSession,
      closedSession: this.#closedSession,
    });
  }
}

/**
 * One dispatch of an exchange to one coordinator. Forwards undici's callbacks to the exchange
 * until abandoned; an abandoned dispatch is aborted when it starts and its late callbacks are
 * dropped, so they cannot touch the exchange's next attempt.
 */
class Attempt implements DispatchAttempt {
  readonly #exchange: Hs2Exchange;
  #isAbandoned = false;
  isInDispatch = false;
  wasRejected = false;

  constructor(exchange: Hs2Exchange) {
    this.#exchange = exchange;
  }

  abandon(): void {
    this.#isAbandoned = true;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.#isAbandoned) controller.abort(new ProxyError('UPSTREAM_DOWN', 'abandoned: the request moved on before a connection was free'));
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
    if (this.isInDispatch) this.wasRejected = true;
    if (!this.#isAbandoned) this.#exchange.onResponseError(controller, cause);
  }
}
