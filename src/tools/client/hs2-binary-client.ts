// A real HS2 client for impalad's binary hs2 port (21050), the default of impala-shell
// `--protocol=hs2`, impyla without use_http_transport, the JDBC/ODBC binary transport and Hue.
// Same RPC helpers as the hs2-http Hs2Client (Hs2Calls); the transport is binary-transport.ts.
// The connection opens on the first call (or connect()) and stays open. After it closed or
// failed, the next call opens a new one (impala-shell reconnects at its next command), or with
// `reconnect: false` fails with the same error (impyla keeps its dead socket). Sessions outlive
// connections on impalad (--disconnected_session_timeout), so a handle may be reused after that.
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { decodeReply, encodeCall, type Hs2Method, type Hs2Request, type Hs2Response } from '../thrift/hs2.ts';
import { BinaryTransport, type BinaryTransportOptions } from './binary-transport.ts';
import { Hs2Calls } from './hs2-calls.ts';

export interface Hs2BinaryClientOptions {
  host: string;
  port: number;
  /**
   * `none` (default): NOSASL, impalad without authentication. `plain`: SASL PLAIN, impalad with
   * LDAP (impala-shell -l, impyla auth_mechanism='LDAP').
   */
  auth?: { type: 'none' } | { type: 'plain'; user: string; password: string };
  tls?: BinaryTransportOptions['tls'];
  /** OpenSession `username` (impalad uses it when the transport authenticated nobody). */
  username?: string;
  /** Connect + TLS + SASL limit; default 60 s. RPCs themselves have no timeout, as in impyla. */
  connectTimeoutMs?: number;
  /** After the connection closed or failed: open a new one at the next call (default true), or keep failing. */
  reconnect?: boolean;
  /** Local address to connect from (source-address balancing tests). */
  localAddress?: string;
}

export class Hs2BinaryClient extends Hs2Calls {
  /** Connections opened so far (reconnects included). */
  connections = 0;
  readonly #options: Hs2BinaryClientOptions;
  #transport: BinaryTransport | undefined;
  #opening: Promise<BinaryTransport> | undefined;

  constructor(options: Hs2BinaryClientOptions) {
    super(options.username);
    this.#options = options;
  }

  get isConnected(): boolean {
    return this.#transport?.isOpen ?? false;
  }

  /** Opens the connection (TCP, TLS, SASL) unless one is open; also after a failure with `reconnect: false`. */
  async connect(): Promise<void> {
    await this.#open(true);
  }

  #open(explicit = false): Promise<BinaryTransport> {
    if (this.#transport?.isOpen) return Promise.resolve(this.#transport);
    const failure = this.#transport?.failure;
    if (failure && !explicit && this.#options.reconnect === false) return Promise.reject(failure);
    this.#opening ??= (async () => {
      const auth = this.#options.auth ?? { type: 'none' };
      const transport = new BinaryTransport({
        host: this.#options.host,
        port: this.#options.port,
        ...(auth.type === 'plain' ? { plain: { user: auth.user, password: auth.password } } : {}),
        ...(this.#options.tls ? { tls: this.#options.tls } : {}),
        ...(this.#options.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.#options.connectTimeoutMs } : {}),
        ...(this.#options.localAddress !== undefined ? { localAddress: this.#options.localAddress } : {}),
      });
      this.connections++;
      try {
        await transport.open();
      } finally {
        this.#opening = undefined;
      }
      this.#transport = transport;
      return transport;
    })();
    return this.#opening;
  }

  /**
   * Sends one RPC; rejects with Hs2TransportError (connection closed, SASL refused), a socket
   * error (ECONNREFUSED, ECONNRESET, TLS) or ThriftApplicationError for an exception reply.
   */
  override async call<M extends Hs2Method>(method: M, request: Hs2Request<M>): Promise<Hs2Response<M>> {
    const transport = await this.#open();
    return decodeReply(method, await transport.roundTrip(encodeCall(method, request)));
  }

  /** The server's certificate on a TLS connection (e.g. to see whose certificate a proxy passed through). */
  peerCertificate(): PeerCertificate | undefined {
    const socket = this.#transport?.socket as TLSSocket | undefined;
    return socket && 'getPeerCertificate' in socket ? socket.getPeerCertificate() : undefined;
  }

  /** Local address and port of the open connection. */
  localAddress(): { address: string; port: number } | undefined {
    const socket = this.#transport?.socket;
    return socket?.localAddress && socket.localPort ? { address: socket.localAddress, port: socket.localPort } : undefined;
  }

  /** Closes the connection; the next call opens a new one (whatever `reconnect` says). */
  override close(): void {
    this.#transport?.close();
    this.#transport = undefined;
  }
}
