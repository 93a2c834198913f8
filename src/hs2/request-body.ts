// Reads the start of an hs2 request body before routing. Bodies up to the replay limit are kept
// whole, so a request that failed before its response began can be sent to a peer; HS2 requests
// are almost all far smaller than that. A larger body is streamed after the kept prefix.
//
// Both ways of reading stop a client that goes quiet mid-body (issue 10 item 5: 48 clients
// trickling a byte a second held every pooled upstream connection). The idle clock only runs while
// the proxy waits for the client: not while the upstream holds the body back (backpressure), and
// not before the upstream asks for the body (a request queued for a pooled connection).
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { ProxyError } from '../errors.ts';

export interface RequestBody {
  /** The whole body when `isComplete`, else the first bytes read. */
  readonly prefix: Buffer;
  readonly isComplete: boolean;
}

/**
 * The error both readers fail with when the client sent no body byte for `idleTimeoutMs`
 * (`CLIENT_TIMEOUT`, 408). The caller answers 408 with `Connection: close` when no response has
 * started (else destroys the response): the connection must not be kept, its body is unread.
 */
export function bodyIdleTimeout(idleTimeoutMs: number): ProxyError {
  return new ProxyError('CLIENT_TIMEOUT', `no request body byte from the client for ${idleTimeoutMs} ms`);
}

function clientGone(cause?: Error): ProxyError {
  return new ProxyError('CLIENT_ABORTED', 'client closed the connection during the request body', { cause });
}

/**
 * Resolves once the body ended or more than `keepBytes` arrived; the request is then paused.
 * Rejects with a ProxyError: `CLIENT_ABORTED` when the client goes away first, `CLIENT_TIMEOUT`
 * when `idleTimeoutMs` pass without a body byte (no limit when undefined).
 */
export function readRequestBody(req: IncomingMessage, keepBytes: number, idleTimeoutMs?: number): Promise<RequestBody> {
  return new Promise((resolve, reject) => {
    if (req.readableEnded) {
      resolve({ prefix: Buffer.alloc(0), isComplete: true });
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const finish = (isComplete: boolean) => {
      stop();
      resolve({ prefix: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length), isComplete });
    };
    const fail = (error: Error) => {
      stop();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length > keepBytes) {
        req.pause();
        finish(false);
      } else {
        timer?.refresh();
      }
    };
    const onEnd = () => finish(true);
    const onError = (error: Error) => fail(clientGone(error)); // Node's "aborted" (ECONNRESET)
    const onClose = () => {
      if (!req.complete) fail(clientGone());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
    if (idleTimeoutMs !== undefined) timer = setTimeout(() => fail(bodyIdleTimeout(idleTimeoutMs)), idleTimeoutMs);
  });
}

/**
 * The body to send upstream for a request that did not fit the replay limit: prefix, then the rest
 * of `req`, with backpressure. Errors with `CLIENT_TIMEOUT` when the client sends no byte for
 * `idleTimeoutMs` while the consumer waits for one (no limit when undefined), with
 * `CLIENT_ABORTED` when the client goes away before the end; undici then aborts the upstream
 * request and closes that upstream connection.
 */
export function streamRemainingBody(prefix: Buffer, req: IncomingMessage, idleTimeoutMs?: number): Readable {
  return new RemainingBody(prefix, req, idleTimeoutMs);
}

/**
 * highWaterMark 0: nothing is read ahead, so `_read` means the consumer is waiting and the buffer
 * is empty; that is exactly when the client owes bytes and the idle clock runs.
 */
class RemainingBody extends Readable {
  readonly #req: IncomingMessage;
  readonly #idleTimeoutMs: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #isStarted = false;
  /** A client failure before the consumer started: an 'error' then would have no listener. */
  #pendingError: ProxyError | undefined;
  readonly #onData = (chunk: Buffer) => this.#data(chunk);
  readonly #onEnd = () => this.#end();
  readonly #onError = (error: Error) => this.#fail(clientGone(error)); // Node's "aborted" (ECONNRESET)
  readonly #onClose = () => {
    if (!this.#req.complete) this.#fail(clientGone());
  };

  constructor(prefix: Buffer, req: IncomingMessage, idleTimeoutMs: number | undefined) {
    super({ highWaterMark: 0 });
    this.#req = req;
    this.#idleTimeoutMs = idleTimeoutMs;
    if (prefix.length > 0) this.push(prefix);
    if (req.readableEnded) {
      this.push(null);
      return;
    }
    req.pause();
    req.on('data', this.#onData);
    req.on('end', this.#onEnd);
    req.on('error', this.#onError);
    req.on('close', this.#onClose);
  }

  /** The consumer waits for bytes: let the client's flow and start the idle clock. */
  override _read(): void {
    this.#isStarted = true;
    if (this.#pendingError !== undefined) {
      this.destroy(this.#pendingError);
      return;
    }
    if (this.#req.readableEnded) return;
    this.#startClock();
    this.#req.resume();
  }

  #data(chunk: Buffer): void {
    if (this.push(chunk)) {
      this.#timer?.refresh();
      return;
    }
    // The consumer has not taken it yet: stop reading, and the clock, until it asks again.
    this.#req.pause();
    this.#stopClock();
  }

  #end(): void {
    this.#stopClock();
    this.push(null);
  }

  #fail(error: ProxyError): void {
    if (this.#isStarted) this.destroy(error);
    else this.#pendingError ??= error;
  }

  #startClock(): void {
    const ms = this.#idleTimeoutMs;
    if (ms === undefined) return;
    if (this.#timer === undefined) this.#timer = setTimeout(() => this.destroy(bodyIdleTimeout(ms)), ms);
    else this.#timer.refresh();
  }

  #stopClock(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#stopClock();
    const req = this.#req;
    req.off('data', this.#onData);
    req.off('end', this.#onEnd);
    req.off('error', this.#onError);
    req.off('close', this.#onClose);
    callback(error);
  }
}
