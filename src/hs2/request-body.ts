// Reads the start of an hs2 request body before routing. Bodies up to the replay limit are kept
// whole, so a request that failed before its response began can be sent to a peer; HS2 requests
// are almost all far smaller than that. A larger body is streamed after the kept prefix.
//
// Both ways of reading stop a client that goes quiet mid-body (issue 10 item 5: 48 clients
// trickling a byte a second held every pooled upstream connection). The idle clock only runs while
// the proxy is ready to take bytes: not while the upstream holds the body back (backpressure).
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { ProxyError } from '../errors.ts';
import type { IdleWatch, Watched } from '../http/idle-watch.ts';

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
function bodyIdleTimeout(idleTimeoutMs: number): ProxyError {
  return new ProxyError('CLIENT_TIMEOUT', `no request body byte from the client for ${idleTimeoutMs} ms`);
}

function bodyTooSlow(bytes: number, ms: number, minBytesPerSec: number): ProxyError {
  return new ProxyError('CLIENT_TIMEOUT', `request body arrives at ${Math.round((bytes * 1000) / ms)} bytes/s, below server.requestBodyMinBytesPerSec ${minBytesPerSec}`);
}

function clientGone(cause?: Error): ProxyError {
  return new ProxyError('CLIENT_ABORTED', 'client closed the connection during the request body', { cause });
}

/**
 * Resolves once the body ended or more than `keepBytes` arrived; the request is then paused.
 * Rejects with a ProxyError: `CLIENT_ABORTED` when the client goes away first, `CLIENT_TIMEOUT`
 * when `idle.idleTimeoutMs` pass without a body byte. `before`: bytes an
 * earlier call read, for a caller that needs more of the prefix (the sniffer, when maxReplayBytes
 * is smaller than a message header).
 */
export function readRequestBody(req: IncomingMessage, keepBytes: number, idle: IdleWatch, before?: Buffer): Promise<RequestBody> {
  return new Promise((resolve, reject) => {
    if (req.readableEnded) {
      resolve({ prefix: before ?? Buffer.alloc(0), isComplete: true });
      return;
    }
    const chunks: Buffer[] = before === undefined || before.length === 0 ? [] : [before];
    let length = before?.length ?? 0;
    let watched: Watched | undefined;
    const stop = () => {
      watched?.stop();
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
        watched?.touch();
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
    // Watched by the handler's one IdleWatch, not a timer per request (idle-watch.ts says why).
    watched = idle.watch(() => fail(bodyIdleTimeout(idle.idleTimeoutMs)));
    if (before !== undefined) req.resume(); // paused by the call that read `before`
  });
}

/** Bytes read ahead of the upstream: enough for a client at full speed to fill and then wait. */
const readAheadBytes = 64 * 1024;

/**
 * The body to send upstream for a request that did not fit the replay limit: prefix, then the rest
 * of `req`, with backpressure. Up to `readAheadBytes` past the prefix are read before the upstream
 * asks (while the request waits for a pooled connection), so a client that sends nothing is
 * noticed then too, and a client that filled the read-ahead is not blamed for the wait.
 *
 * Errors with `CLIENT_TIMEOUT` after `idle.idleTimeoutMs` without a byte while the proxy is ready for
 * one, with `CLIENT_ABORTED` when the client goes away before the end.
 * Listen for 'error' as soon as it is made: undici only listens once a pooled connection takes
 * the request, and an error with no listener is held until a listener or a read comes.
 */
export function streamRemainingBody(prefix: Buffer, req: IncomingMessage, idle: IdleWatch, minBytesPerSec: number): Readable {
  return new RemainingBody(prefix, req, idle, minBytesPerSec);
}

/**
 * The idle clock runs exactly while `req` flows: the read-ahead buffer has room and the body has not
 * ended. When the consumer holds the body back the buffer fills, `req` pauses, and the clock stops.
 * So does the rate window: a trickle that is never quiet for the idle timeout (a byte every few
 * seconds holds a streaming connection for ever) is measured over the time the proxy was ready
 * for bytes, and cut once that is longer than the idle timeout and the rate below the minimum.
 */
class RemainingBody extends Readable {
  readonly #req: IncomingMessage;
  readonly #idle: IdleWatch;
  readonly #minBytesPerSec: number;
  #watched: Watched | undefined;
  /** The rate window: since the clock last started, and the client's bytes in it. */
  #windowStartMs = 0;
  #windowBytes = 0;
  /** A client failure while nobody listened for 'error' (it would be an uncaught exception). */
  #pendingError: ProxyError | undefined;
  readonly #onData = (chunk: Buffer) => this.#data(chunk);
  readonly #onEnd = () => this.#end();
  readonly #onError = (error: Error) => this.#fail(clientGone(error)); // Node's "aborted" (ECONNRESET)
  readonly #onClose = () => {
    if (!this.#req.complete) this.#fail(clientGone());
  };

  constructor(prefix: Buffer, req: IncomingMessage, idle: IdleWatch, minBytesPerSec: number) {
    super({ highWaterMark: prefix.length + readAheadBytes });
    this.#req = req;
    this.#idle = idle;
    this.#minBytesPerSec = minBytesPerSec;
    if (prefix.length > 0) this.push(prefix);
    if (req.readableEnded) {
      this.push(null);
      return;
    }
    req.on('data', this.#onData);
    req.on('end', this.#onEnd);
    req.on('error', this.#onError);
    req.on('close', this.#onClose);
    this.#flow();
  }

  /** Below the high-water mark again (the consumer took bytes): read on. */
  override _read(): void {
    if (this.#pendingError !== undefined) {
      this.destroy(this.#pendingError);
      return;
    }
    this.#flow();
  }

  #flow(): void {
    if (this.#req.readableEnded || this.destroyed) return;
    const idle = this.#idle;
    if (this.#watched === undefined) {
      this.#watched = idle.watch(() => this.#fail(bodyIdleTimeout(idle.idleTimeoutMs)));
      this.#windowStartMs = performance.now();
      this.#windowBytes = 0;
    } else {
      this.#watched.touch();
    }
    this.#req.resume();
  }

  #data(chunk: Buffer): void {
    this.#windowBytes += chunk.length;
    if (this.#failIfTooSlow()) return;
    if (this.push(chunk)) {
      this.#watched?.touch();
      return;
    }
    // The buffer is full: the proxy, not the client, is holding the body back now.
    this.#req.pause();
    this.#stopClock();
  }

  /** Fails the body when it arrives below the minimum rate; checked as bytes arrive (a client that sends none is the idle clock's). */
  #failIfTooSlow(): boolean {
    if (this.#minBytesPerSec === 0 || this.#watched === undefined) return false;
    const ms = performance.now() - this.#windowStartMs;
    if (ms < this.#idle.idleTimeoutMs || this.#windowBytes >= (this.#minBytesPerSec * ms) / 1000) return false;
    this.#fail(bodyTooSlow(this.#windowBytes, ms, this.#minBytesPerSec));
    return true;
  }

  #end(): void {
    this.#stopClock();
    this.push(null);
  }

  #fail(error: ProxyError): void {
    this.#stopClock();
    this.#req.pause();
    if (this.destroyed || this.#pendingError !== undefined) return;
    if (this.listenerCount('error') > 0) {
      this.destroy(error);
      return;
    }
    // Held for the first 'error' listener (undici adds one when a connection takes the request).
    this.#pendingError = error;
    const deliver = (event: string | symbol) => {
      if (event !== 'error') return;
      this.off('newListener', deliver);
      process.nextTick(() => this.destroy(error));
    };
    this.on('newListener', deliver);
  }

  #stopClock(): void {
    this.#watched?.stop();
    this.#watched = undefined;
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
