// The client side of impalad's binary hs2 port as impyla and impala-shell open it
// (impala_client.py _get_transport, impyla _thrift_api.py get_socket/get_transport):
// a TCP socket (TSocket) or a TLS one (TSSLSocket), then either TBufferedTransport (NOSASL) or
// thrift_sasl's TSaslClientTransport with PLAIN (LDAP): START "PLAIN", OK with the PLAIN
// response, then a COMPLETE from the server; after that every flushed message is one 4-byte
// length frame. One RPC at a time, like the Python clients.
import net from 'node:net';
import tls from 'node:tls';
import { MessageReader, encodeMessageForWire } from '../thrift/message-reader.ts';
import { SaslStatus, encodePlainResponse, encodeSaslMessage, readSaslMessage } from '../thrift/sasl.ts';

export interface BinaryTransportOptions {
  host: string;
  port: number;
  /** SASL PLAIN credentials; NOSASL without. */
  plain?: { user: string; password: string };
  /** TLS to the server (impala-shell --ssl, impyla use_ssl=True). */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean; servername?: string };
  /** Default 60 s (impala-shell --client_connect_timeout_ms); covers connect, TLS and SASL. */
  connectTimeoutMs?: number;
  /** Largest reply accepted. Default 1 GiB. */
  maxMessageBytes?: number;
  /** Local address to connect from (tests of source-address balancing: 127.0.0.2, …). */
  localAddress?: string;
}

export type Hs2TransportErrorCode =
  /** The server closed the connection (what the Python clients report as "TSocket read 0 bytes"). */
  | 'HS2_CONNECTION_CLOSED'
  /** The server answered the SASL negotiation with BAD or ERROR. */
  | 'HS2_SASL_REFUSED'
  /** Connect, TLS and SASL took longer than connectTimeoutMs. */
  | 'HS2_CONNECT_TIMEOUT'
  /** Bytes from the server that are not what the protocol allows. */
  | 'HS2_PROTOCOL_ERROR';

export class Hs2TransportError extends Error {
  readonly code: Hs2TransportErrorCode;
  /** Whether it happened while opening the transport (SASL negotiation included) or during an RPC. */
  readonly during: 'open' | 'rpc';
  constructor(code: Hs2TransportErrorCode, during: 'open' | 'rpc', message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'Hs2TransportError';
    this.code = code;
    this.during = during;
  }
}

interface Pending {
  resolve(message: Buffer): void;
  reject(error: Error): void;
}

export class BinaryTransport {
  readonly #options: BinaryTransportOptions;
  readonly #reader: MessageReader;
  #socket: net.Socket | undefined;
  #pending: Pending | undefined;
  #failure: Error | undefined;
  #negotiating = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: BinaryTransportOptions) {
    this.#options = options;
    this.#reader = new MessageReader({ framed: false, maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024 * 1024 });
  }

  get socket(): net.Socket | undefined {
    return this.#socket;
  }

  /** Connects, handshakes TLS and negotiates SASL; rejects with the first failure. */
  async open(): Promise<void> {
    const timeoutMs = this.#options.connectTimeoutMs ?? 60_000;
    const socket = this.#connect();
    this.#socket = socket;
    const timer = setTimeout(
      () => this.#abort(new Hs2TransportError('HS2_CONNECT_TIMEOUT', 'open', `no connection to ${this.#options.host}:${this.#options.port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await new Promise<void>((resolve, reject) => {
        this.#pending = { resolve: () => resolve(), reject };
        socket.once(this.#options.tls ? 'secureConnect' : 'connect', () => {
          if (this.#pending?.reject === reject) this.#pending = undefined;
          resolve();
        });
      });
      if (this.#options.plain) await this.#negotiate(this.#options.plain);
    } catch (error) {
      socket.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #connect(): net.Socket {
    const { host, port } = this.#options;
    const local = this.#options.localAddress === undefined ? {} : { localAddress: this.#options.localAddress };
    const options = this.#options.tls;
    const socket = options
      ? tls.connect({
          host,
          port,
          ...local,
          ...(options.ca ? { ca: options.ca } : {}),
          ...(options.cert ? { cert: options.cert } : {}),
          ...(options.key ? { key: options.key } : {}),
          rejectUnauthorized: options.rejectUnauthorized ?? true,
          // SNI carries names only (RFC 6066 §3).
          ...(options.servername ? { servername: options.servername } : net.isIP(host) ? {} : { servername: host }),
        })
      : net.connect({ host, port, ...local });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => this.#abort(error));
    socket.on('close', () => this.#abort(this.#closedError()));
    return socket;
  }

  #closedError(): Hs2TransportError {
    const during = this.#negotiating || !this.#socket ? 'open' : 'rpc';
    const phase = this.#negotiating ? ' during the SASL negotiation' : '';
    return new Hs2TransportError('HS2_CONNECTION_CLOSED', during, `connection closed by the server${phase} (TSocket read 0 bytes)`);
  }

  /** The first failure wins; later calls fail with it too. */
  #abort(error: Error): void {
    this.#failure ??= error;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(this.#failure);
    this.#socket?.destroy();
  }

  async #negotiate(plain: { user: string; password: string }): Promise<void> {
    this.#negotiating = true;
    const socket = this.#socket!;
    socket.write(encodeSaslMessage(SaslStatus.START, 'PLAIN'));
    socket.write(encodeSaslMessage(SaslStatus.OK, encodePlainResponse(plain.user, plain.password)));
    const reply = await new Promise<Buffer>((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#onData(Buffer.alloc(0));
    });
    this.#negotiating = false;
    const status = reply.readUInt8(0);
    const payload = reply.subarray(5).toString('utf8');
    // thrift_sasl: "Bad status: %d (%s)" for anything but OK/COMPLETE; PLAIN needs no challenge.
    if (status === SaslStatus.BAD || status === SaslStatus.ERROR) {
      throw new Hs2TransportError('HS2_SASL_REFUSED', 'open', `Bad status: ${status} (${payload})`);
    }
    if (status !== SaslStatus.COMPLETE) throw new Hs2TransportError('HS2_PROTOCOL_ERROR', 'open', `unexpected SASL status ${status} for PLAIN`);
    this.#reader.framed = true;
  }

  #onData(chunk: Buffer): void {
    this.#reader.push(chunk);
    const pending = this.#pending;
    if (!pending) return;
    let message: Buffer | undefined;
    try {
      if (this.#negotiating) {
        const negotiation = readSaslMessage(this.#reader.raw.peek());
        if (negotiation) message = this.#reader.raw.take(negotiation.length);
      } else {
        message = this.#reader.next();
      }
    } catch (error) {
      this.#abort(new Hs2TransportError('HS2_PROTOCOL_ERROR', 'rpc', (error as Error).message, { cause: error }));
      return;
    }
    if (message) {
      this.#pending = undefined;
      pending.resolve(message);
    }
  }

  /** Sends one message and resolves with the reply; calls are queued, one in flight at a time. */
  roundTrip(message: Buffer): Promise<Buffer> {
    const next = this.#queue.then(() => this.#send(message));
    this.#queue = next.catch(() => {});
    return next;
  }

  #send(message: Buffer): Promise<Buffer> {
    if (this.#failure) return Promise.reject(this.#failure);
    const socket = this.#socket;
    if (!socket) return Promise.reject(new Error('transport is not open'));
    return new Promise<Buffer>((resolve, reject) => {
      this.#pending = { resolve, reject };
      socket.write(encodeMessageForWire(message, this.#reader.framed));
      // A reply may already be buffered (it never is for a well-behaved server).
      this.#onData(Buffer.alloc(0));
    });
  }

  /** Why the transport stopped working (undefined while it works or before open()). */
  get failure(): Error | undefined {
    return this.#failure;
  }

  get isOpen(): boolean {
    return this.#socket !== undefined && !this.#socket.destroyed && this.#failure === undefined;
  }

  close(): void {
    this.#abort(new Hs2TransportError('HS2_CONNECTION_CLOSED', 'rpc', 'transport closed by the client'));
  }
}
