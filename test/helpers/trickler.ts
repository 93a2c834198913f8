// A slow uploader: a real hs2 POST (a whole Thrift call, on a real session and cookie, so it is
// routed like the client it borrows them from) whose body comes a byte at a time. The shared shape
// of the slow-upload regressions; each decides how fast it trickles and how many bytes it sends.
import type { TLSSocket } from 'node:tls';
import { openTls } from './raw-tls.ts';

export interface TricklerOptions {
  readonly cookie: string;
  /** The whole request body, announced in Content-Length. */
  readonly message: Buffer;
  /** Sent at once, with the head. */
  readonly firstBytes: number;
  readonly everyMs: number;
  /** X-Test-Request, to find the request in a coordinator's log. */
  readonly marker: string;
  /** Bytes trickled after the first ones, at most (default: all but the last, so it never ends). */
  readonly maxTrickled?: number;
}

export interface Trickler {
  readonly socket: TLSSocket;
  /** performance.now() of the last byte written. */
  lastByteAt: number;
  /** performance.now() when the connection closed; undefined while open. */
  closedAt: number | undefined;
  readonly closed: Promise<void>;
  /** What the proxy sent back, as latin1 text. */
  reply: string;
}

export async function startTrickler(port: number, options: TricklerOptions): Promise<Trickler> {
  const { cookie, message, firstBytes, everyMs, marker } = options;
  const socket = await openTls(port);
  let onClosed!: () => void;
  const trickler: Trickler = { socket, lastByteAt: 0, closedAt: undefined, closed: new Promise((resolve) => (onClosed = resolve)), reply: '' };
  socket.on('data', (chunk: Buffer) => (trickler.reply += chunk.toString('latin1')));
  socket.on('error', () => {});
  const head = [
    'POST /cliservice HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Content-Type: application/x-thrift',
    `Content-Length: ${message.length}`,
    `Cookie: ${cookie}`,
    `X-Test-Request: ${marker}`,
  ].join('\r\n');
  let sent = firstBytes;
  const last = Math.min(message.length - 1, firstBytes + (options.maxTrickled ?? Infinity));
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= last) return clearInterval(timer);
    socket.write(message.subarray(sent, sent + 1));
    sent += 1;
    trickler.lastByteAt = performance.now();
  }, everyMs);
  socket.once('close', () => {
    clearInterval(timer);
    trickler.closedAt = performance.now();
    onClosed();
  });
  socket.write(Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), message.subarray(0, sent)]));
  trickler.lastByteAt = performance.now();
  return trickler;
}
