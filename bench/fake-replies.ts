// How the fake coordinator answers, shared with the `node-http` floor target (which must send the
// very same reply bytes): hs2-http POSTs get a precomputed Thrift REPLY of the size the request asks
// for (X-Bench-Reply-Bytes, default 512) once the request body is read, GETs get 200 OK (health
// checks); on the binary HS2 port every fixed-size call gets a REPLY of the size its seqid asks for.
// No parsing beyond that, no logging, no per-request allocation.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { binaryRequestBytes, fetchResultsReply, seqidOf, strictCall } from './thrift-messages.ts';

const maxReplyBytes = 64 * 1024 * 1024;
const defaultReplyBytes = 512;
const replies = new Map<number, Buffer>();

export interface ReplyCounters {
  connections: number;
  resumedTlsSessions: number;
  requests: number;
}

/** The REPLY of `asked` bytes (512 when `asked` is not a sensible size), built once per size. */
export function cachedReply(asked: number): Buffer {
  const bytes = Number.isInteger(asked) && asked > 0 && asked <= maxReplyBytes ? asked : defaultReplyBytes;
  let buffer = replies.get(bytes);
  if (buffer === undefined) {
    buffer = fetchResultsReply(bytes);
    replies.set(bytes, buffer);
  }
  return buffer;
}

/** An hs2-http request: POST gets the Thrift REPLY, anything else 200 OK (or the counters, on GET /bench-stats). */
export function answerHttp(req: IncomingMessage, res: ServerResponse, counters?: ReplyCounters): void {
  if (counters !== undefined) counters.requests += 1;
  if (req.method !== 'POST') {
    const text = req.url === '/bench-stats' && counters !== undefined ? JSON.stringify(counters) : 'OK';
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  const body = cachedReply(Number(req.headers['x-bench-reply-bytes'] ?? defaultReplyBytes));
  // Answer once the request body is read, as impalad does (it parses the whole call first).
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/x-thrift', 'content-length': body.length });
    res.end(body);
  });
  req.resume();
}

/**
 * A binary HS2 connection (NOSASL: TBufferedTransport, messages back to back). Every call is
 * binaryRequestBytes long; one that does not start like a strict-binary CALL means the stream lost
 * its framing, and the connection is closed (the load generator counts that as an error).
 */
export function serveBinary(socket: Socket, counters?: ReplyCounters): void {
  socket.setNoDelay(true);
  let pending: Buffer | undefined;
  socket.on('data', (chunk: Buffer) => {
    const buffer = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    while (buffer.length - offset >= binaryRequestBytes) {
      if (buffer.readInt32BE(offset) !== strictCall) {
        socket.destroy();
        return;
      }
      if (counters !== undefined) counters.requests += 1;
      socket.write(cachedReply(seqidOf(buffer, offset)));
      offset += binaryRequestBytes;
    }
    pending = offset === buffer.length ? undefined : buffer.subarray(offset);
  });
  // A client that resets is no concern of the coordinator's.
  socket.on('error', () => {});
}
