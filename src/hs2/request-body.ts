// Reads the start of an hs2 request body before routing. Bodies up to the replay limit are kept
// whole, so a request that failed before its response began can be sent to a peer; HS2 requests
// are almost all far smaller than that. A larger body is streamed after the kept prefix.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export interface RequestBody {
  /** The whole body when `isComplete`, else the first bytes read. */
  readonly prefix: Buffer;
  readonly isComplete: boolean;
}

/**
 * Resolves once the body ended or more than `keepBytes` arrived; the request is then paused.
 * Rejects when the client goes away first. `before`: bytes already read by an earlier call, for a
 * caller that needs more of the prefix (the sniffer, when maxReplayBytes is smaller than a header).
 */
export function readRequestBody(req: IncomingMessage, keepBytes: number, before?: Buffer): Promise<RequestBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = before === undefined || before.length === 0 ? [] : [before];
    let length = before?.length ?? 0;
    const finish = (isComplete: boolean) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      resolve({ prefix: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length), isComplete });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length > keepBytes) {
        req.pause();
        finish(false);
      }
    };
    const onEnd = () => finish(true);
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      if (!req.complete) {
        cleanup();
        reject(Object.assign(new Error('client closed the connection during the request body'), { code: 'ECONNRESET' }));
      }
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    if (req.readableEnded) {
      resolve({ prefix: before ?? Buffer.alloc(0), isComplete: true });
      return;
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
    if (before !== undefined) req.resume();
  });
}

/** The body to send upstream for a request that did not fit the replay limit: prefix, then the rest. */
export function streamRemainingBody(prefix: Buffer, req: IncomingMessage): Readable {
  return Readable.from(
    (async function* () {
      yield prefix;
      for await (const chunk of req) yield chunk as Buffer;
    })(),
    { objectMode: false },
  );
}
