// One connection to the simulated binary hs2 port (impalad --hs2_port, 21050): TBinaryProtocol
// over a raw (or TLS) socket, as impalad's ThriftServer serves it.
//
// - Without authentication the transport is TBufferedTransport: messages back to back.
// - With LDAP users configured it is TSaslServerTransport with the PLAIN mechanism
//   (be/src/transport/TSaslServerTransport.cpp handleSaslStartMessage, TSaslTransport.cpp
//   doSaslNegotiation): a START message naming the mechanism, then OK or COMPLETE carrying the
//   PLAIN response; success is answered with COMPLETE and an empty payload, after which every
//   message travels in a 4-byte length frame. A START with another status is answered ERROR and an
//   unknown mechanism BAD ("Unsupported mechanism type …"), then the connection closes. A wrong
//   password sends nothing: the SASL step throws, and TAcceptQueueServer::SetupConnection closes
//   the socket, so the client reads end of file.
// - Messages on one connection are served one at a time, in order (one server thread per
//   connection); the socket is not read while one is served, and the reply to each is flushed
//   before the next is read.
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { MessageReader, encodeMessageForWire } from '../thrift/message-reader.ts';
import { SASL_HEADER_BYTES, SaslStatus, encodeSaslMessage, isValidSaslStatus, parsePlainResponse, readSaslMessage } from '../thrift/sasl.ts';

export interface Hs2TcpHandler {
  /** Resolves when the coordinator is not frozen (undefined: at once); rejects when it stops. */
  gate(): Promise<void> | undefined;
  /** Present when the port requires SASL PLAIN (impalad with LDAP): checks one user's password. */
  authenticate?: (user: string, password: string) => boolean;
  /** Serves one whole message; resolves with the reply, or undefined to close the connection. */
  serve(message: Buffer, user: string | undefined, socket: Socket): Promise<Buffer | undefined>;
  /** A SASL negotiation that failed, and why (for counters and logs). */
  onSaslFailure(reason: string): void;
  maxMessageBytes: number;
}

type Phase = 'sasl-start' | 'sasl-response' | 'open';

/** Largest SASL negotiation message accepted (a mechanism name or a PLAIN response). */
const MAX_SASL_MESSAGE_BYTES = 64 * 1024;

export class Hs2TcpConnection {
  readonly #socket: Socket;
  readonly #handler: Hs2TcpHandler;
  readonly #reader: MessageReader;
  #phase: Phase;
  #user: string | undefined;
  #busy = false;

  constructor(socket: Socket, handler: Hs2TcpHandler) {
    this.#socket = socket;
    this.#handler = handler;
    const sasl = handler.authenticate !== undefined;
    this.#phase = sasl ? 'sasl-start' : 'open';
    this.#reader = new MessageReader({ framed: false, maxMessageBytes: handler.maxMessageBytes });
    socket.on('data', (chunk: Buffer) => {
      this.#reader.push(chunk);
      void this.#pump();
    });
  }

  /** Handles whatever is buffered, one step at a time; only one pump runs per connection. */
  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (!this.#socket.destroyed && (await this.#step()));
    } catch {
      // Bytes that are no message (ThriftDecodeError, MessageTooLargeError), or the coordinator
      // stopped while a step waited: impalad drops the connection.
      this.#socket.destroy();
    } finally {
      this.#busy = false;
    }
  }

  /** One negotiation message or one RPC; false when more bytes are needed first. */
  async #step(): Promise<boolean> {
    if (this.#phase === 'open') {
      const message = this.#reader.next();
      if (!message) return false;
      // Nothing is read while an RPC is served (one thread per connection in impalad), so a
      // client that keeps writing meets TCP backpressure instead of filling our memory.
      this.#socket.pause();
      let reply: Buffer | undefined;
      try {
        reply = await this.#handler.serve(message, this.#user, this.#socket);
      } finally {
        this.#socket.resume();
      }
      if (reply === undefined || this.#socket.destroyed) {
        this.#socket.destroy();
        return false;
      }
      await this.#write(encodeMessageForWire(reply, this.#reader.framed));
      return true;
    }
    const raw = this.#reader.raw;
    if (raw.length < SASL_HEADER_BYTES) return false;
    await this.#handler.gate();
    // receiveSaslMessage checks the status byte as soon as the 5-byte header is read, before the
    // payload: "invalid sasl status" / "sasl Peer indicated failure". A NOSASL client's first
    // byte (0x80 of a strict message header) ends the connection here.
    const status = raw.peek().readUInt8(0);
    if (!isValidSaslStatus(status) || status === SaslStatus.BAD || status === SaslStatus.ERROR) {
      this.#fail(`invalid sasl status ${status}`);
      return false;
    }
    if (raw.peek().readUInt32BE(1) > MAX_SASL_MESSAGE_BYTES) {
      this.#fail('SASL message too large');
      return false;
    }
    const negotiation = readSaslMessage(raw.peek());
    if (!negotiation) return false;
    raw.skip(negotiation.length);
    if (this.#phase === 'sasl-start') return this.#start(negotiation.status, negotiation.payload.toString('utf8'));
    return this.#respond(negotiation.status, negotiation.payload);
  }

  #start(status: number, mechanism: string): boolean {
    if (status !== SaslStatus.START) {
      this.#refuse(SaslStatus.ERROR, `Expecting START status, received ${status}`);
      return false;
    }
    if (mechanism !== 'PLAIN') {
      this.#refuse(SaslStatus.BAD, `Unsupported mechanism type ${mechanism}`);
      return false;
    }
    this.#phase = 'sasl-response';
    return true;
  }

  async #respond(status: number, payload: Buffer): Promise<boolean> {
    if (status !== SaslStatus.OK && status !== SaslStatus.COMPLETE) {
      this.#fail(`Expected COMPLETE or OK, got ${status}`);
      return false;
    }
    const credentials = parsePlainResponse(payload);
    if (!credentials || !this.#handler.authenticate!(credentials.user, credentials.password)) {
      this.#fail(credentials ? `PLAIN authentication failed for user '${credentials.user}'` : 'malformed PLAIN response');
      return false;
    }
    this.#user = credentials.user;
    this.#phase = 'open';
    this.#reader.framed = true;
    await this.#write(encodeSaslMessage(SaslStatus.COMPLETE));
    return true;
  }

  /** Negotiation failed inside the SASL library: the server closes without a word. */
  #fail(reason: string): void {
    this.#handler.onSaslFailure(reason);
    this.#socket.destroy();
  }

  /** handleSaslStartMessage: send BAD or ERROR with the reason, then close. */
  #refuse(status: typeof SaslStatus.BAD | typeof SaslStatus.ERROR, reason: string): void {
    this.#handler.onSaslFailure(reason);
    this.#socket.end(encodeSaslMessage(status, reason), () => this.#socket.destroy());
  }

  /** Writes and waits for the socket to take it (backpressure), or for the socket to close. */
  #write(bytes: Buffer): Promise<void> {
    if (this.#socket.write(bytes)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }
}

/**
 * What the binary hs2 listener does with an accepted socket: serve it, or (with TLS) hand it to a
 * non-listening tls.Server first, so TLS starts only when the coordinator lets the socket through.
 */
export function hs2TcpAcceptor(handler: Hs2TcpHandler, tlsOptions: tls.TlsOptions | undefined): (socket: Socket) => void {
  if (!tlsOptions) return (socket) => new Hs2TcpConnection(socket, handler);
  const server = new tls.Server(tlsOptions);
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    socket.on('error', () => {});
    new Hs2TcpConnection(socket, handler);
  });
  server.on('tlsClientError', (_error: Error, socket: tls.TLSSocket) => socket.destroy());
  return (socket) => server.emit('connection', socket);
}
