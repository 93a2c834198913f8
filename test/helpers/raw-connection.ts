// One client TLS connection to the proxy, byte for byte: what it received and when the proxy
// closed it. For tests about connection lifetimes (keep-alive, head timeouts) that an HTTP client
// would hide.
import { connect, type TLSSocket } from 'node:tls';
import { readCert } from './certs.ts';

export class RawConnection {
  readonly socket: TLSSocket;
  received = '';
  closedAtMs: number | undefined;
  readonly closed: Promise<void>;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect({ host: hostname, port: Number(port), ca: readCert('ca.pem'), servername: 'localhost' });
    this.socket.setEncoding('utf8').on('data', (chunk: string) => (this.received += chunk));
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        this.closedAtMs = Date.now();
        resolve();
      }),
    );
  }

  /** Status lines received so far. */
  responses(): number {
    return (this.received.match(/HTTP\/1\.1 \d{3} /g) ?? []).length;
  }

  /** Sends `bytes` and waits until `count` responses have arrived in total on this connection. */
  async exchange(bytes: string, count: number, timeoutMs = 10_000): Promise<void> {
    this.socket.write(bytes);
    const deadline = Date.now() + timeoutMs;
    while (this.responses() < count) {
      if (this.closedAtMs !== undefined || Date.now() > deadline) throw new Error(`no response #${count}; received: ${JSON.stringify(this.received)}`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.socket.once('data', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A request the proxy answers itself on the client listener (no coordinator involved). */
export const healthProbe = 'GET /healthz HTTP/1.1\r\nHost: proxy\r\n\r\n';
