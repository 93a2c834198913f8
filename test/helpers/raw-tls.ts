// Raw bytes over TLS to the proxy, for request shapes an HTTP client would never send (`OPTIONS *`,
// other schemes, stalled bodies). Every wait is bounded: a proxy that never answers shows up as
// `isTimedOut`, not as a hung test.
import { connect, type TLSSocket } from 'node:tls';
import { readCert } from './certs.ts';

export interface RawReply {
  /** Everything the proxy sent, as latin1 text. */
  readonly text: string;
  /** Status of the first response, if one began. */
  readonly status: number | undefined;
  /** The proxy closed the connection (or reset it) before the deadline. */
  readonly isClosed: boolean;
  readonly isTimedOut: boolean;
}

export function statusOf(text: string): number | undefined {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  return match ? Number(match[1]) : undefined;
}

export function openTls(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: readCert('ca.pem') }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Sends `request` (which should say `Connection: close`) and collects the reply until the proxy
 * closes the connection or `timeoutMs` pass.
 */
export async function rawTlsExchange(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawReply> {
  const socket = await openTls(port);
  return collect(socket, request, timeoutMs);
}

function collect(socket: TLSSocket, request: string | Buffer, timeoutMs: number): Promise<RawReply> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const finish = (isClosed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ text, status: statusOf(text), isClosed, isTimedOut: !isClosed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {}); // a reset is a close here
    socket.once('close', () => finish(true));
    socket.write(request);
  });
}

export interface StalledReader {
  /** Starts reading again; resolves with the bytes the proxy still sent once it closed the connection. */
  readRest(): Promise<number>;
}

/**
 * A client that sends `request` and then reads nothing (its socket paused), so that the proxy's
 * buffers toward it fill and its response waits on it.
 */
export async function startStalledReader(port: number, request: string | Buffer): Promise<StalledReader> {
  const socket = await openTls(port);
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(request);
  socket.pause();
  return {
    async readRest() {
      let received = 0;
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.resume();
      await closed;
      return received;
    },
  };
}
