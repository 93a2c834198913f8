// The client-facing listeners: HTTPS (TLS terminated here) and optional plain HTTP. Requests are
// dispatched by path: /ui → web UIs, GET /healthz|/readyz → the proxy itself, anything else → hs2.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import type { FrontTlsOptions } from './tls/files.ts';

export interface RequestRouter {
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/** Connection-level events, for metrics. */
export interface ListenerObserver {
  onConnection(kind: Listener['kind']): void;
  onTlsHandshake(kind: Listener['kind']): void;
  onTlsError(kind: Listener['kind'], code: string | undefined): void;
}

export interface Listener {
  readonly kind: 'https' | 'http';
  readonly server: Server;
  /** Bound port (the real one when the config said 0). */
  readonly port: number;
  readonly host: string;
  /** Responses not yet closed, so that shutdown can end their connections once they are done. */
  readonly active: Set<ServerResponse>;
  /**
   * HTTPS: accepted TCP connections whose TLS handshake has not completed, by peer address. Node's
   * HTTP server knows a connection only once it is secure, so neither server.close() nor
   * closeAllConnections() ends these; shutdown destroys them.
   */
  readonly handshaking?: ReadonlyMap<string, Socket>;
  isClosing: boolean;
}

/** `tls`: the generation's front-end TLS material (read once there); present whenever listen.https is. */
export async function startListeners(config: Config, tls: FrontTlsOptions | undefined, router: RequestRouter, logger: Logger, observer?: ListenerObserver): Promise<Listener[]> {
  const listeners: Listener[] = [];
  const serverOptions = {
    // Slow-client guard: the whole request head within this time (HAProxy `timeout http-request`).
    headersTimeout: config.server.requestHeaderTimeoutMs,
    // Node enforces headersTimeout on a sweep, every 30 s by default: a 10 s limit answered 408
    // after 16-26 s. A sweep a second keeps it within a second of the limit (issue 10 item 8,
    // test/regressions/request-header-timeout.test.ts); one pass over the open connections is cheap.
    connectionsCheckingInterval: 1_000,
    // Bodies may legitimately take long (large statements over slow links); the head may not.
    requestTimeout: 0,
    keepAliveTimeout: config.server.keepAliveTimeoutMs,
    // Sockets are paused/resumed per request; Nagle only adds latency to small Thrift replies.
    noDelay: true,
  };
  try {
    if (config.listen.https) {
      // Node's default handshake timeout is 120 s; a connection holds an fd all that time.
      const server = createHttpsServer({ ...serverOptions, ...tls!, handshakeTimeout: config.server.tlsHandshakeTimeoutMs });
      // ERR_TLS_HANDSHAKE_TIMEOUT included: tls_errors_total{code} counts the half-open connections.
      server.on('tlsClientError', (error, socket) => {
        observer?.onTlsError('https', (error as NodeJS.ErrnoException).code);
        logger.debug({ event: 'tls-error', code: (error as NodeJS.ErrnoException).code, client: socket.remoteAddress }, error.message);
      });
      if (observer !== undefined) server.on('secureConnection', () => observer.onTlsHandshake('https'));
      // Client-initiated renegotiation (TLS 1.2; Node allows 3 per 10 minutes) costs the proxy a
      // full handshake each time and no Impala client uses it: it ends the connection
      // (ERR_TLS_RENEGOTIATION_DISABLED reaches clientError, which destroys the socket).
      server.on('secureConnection', disableRenegotiation);
      const handshaking = trackHandshakes(server);
      listeners.push(await listen('https', server, config.listen.https.host, config.listen.https.port, router, handshaking));
    }
    if (config.listen.http) {
      const server = createHttpServer(serverOptions);
      listeners.push(await listen('http', server, config.listen.http.host, config.listen.http.port, router));
    }
  } catch (error) {
    await closeListeners(listeners, 0);
    throw error;
  }
  for (const listener of listeners) {
    if (observer !== undefined) listener.server.on('connection', () => observer.onConnection(listener.kind));
    listener.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      // Malformed or late request heads get a proper status instead of a silently dropped socket.
      // Anything else (the https server re-emits TLS handshake failures here, resets) has no HTTP
      // channel to answer on: a plaintext answer with end() on a TLS socket whose handshake never
      // completed never closes it (issue 10 item 3), so the socket is destroyed.
      const status = httpErrorStatus(error.code);
      if (status !== undefined && socket.writable && !socket.destroyed) {
        socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
        // Once written, closed whether or not the client ever closes its side.
        socket.destroySoon();
      } else socket.destroy();
      logger.debug({ event: 'client-error', code: error.code }, error.message);
    });
    logger.info({ event: 'listening', kind: listener.kind, host: listener.host, port: listener.port }, `listening on ${listener.kind}://${listener.host}:${listener.port}`);
  }
  return listeners;
}

function disableRenegotiation(socket: TLSSocket): void {
  socket.disableRenegotiation();
}

/** The status for an HTTP-level client error (llhttp's HPE_* codes, Node's head timeout), else undefined. */
function httpErrorStatus(code: string | undefined): string | undefined {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return '408 Request Timeout';
  if (code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large';
  if (code?.startsWith('HPE_')) return '400 Bad Request';
  return undefined;
}

/**
 * Accepted TCP connections of an HTTPS server until their TLS handshake completes. Keyed by the
 * peer's address and port: the TLSSocket of 'secureConnection' and the TCP socket of 'connection'
 * share them, and no public API links the two objects.
 */
function trackHandshakes(server: HttpsServer): Map<string, Socket> {
  const handshaking = new Map<string, Socket>();
  server.on('connection', (socket: Socket) => {
    const key = peerKey(socket);
    handshaking.set(key, socket);
    socket.once('close', () => {
      if (handshaking.get(key) === socket) handshaking.delete(key);
    });
  });
  server.on('secureConnection', (socket: TLSSocket) => handshaking.delete(peerKey(socket)));
  return handshaking;
}

function peerKey(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

/** A listener could not bind: one line for the operator, naming the config key. */
export class ListenError extends Error {
  readonly code = 'LISTEN_FAILED';

  constructor(key: string, host: string, port: number, cause: NodeJS.ErrnoException) {
    super(`${key} ${host}:${port}: ${describeListenFailure(cause)}`, { cause });
    this.name = 'ListenError';
  }
}

function describeListenFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'address already in use';
    case 'EACCES':
      return 'permission denied (ports below 1024 need privileges, e.g. CAP_NET_BIND_SERVICE)';
    case 'EADDRNOTAVAIL':
      return 'address not available on this host';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name does not resolve';
    default:
      return error.message;
  }
}

function listen(kind: Listener['kind'], server: Server, host: string, port: number, router: RequestRouter, handshaking?: ReadonlyMap<string, Socket>): Promise<Listener> {
  const active = new Set<ServerResponse>();
  // One listener function per server, not per request: `this` is the response that closed.
  const forget = function (this: ServerResponse) {
    active.delete(this);
  };
  return new Promise((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => reject(new ListenError(`listen.${kind}`, host, port, error));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      const listener: Listener = { kind, server, host, port: (server.address() as AddressInfo).port, active, ...(handshaking && { handshaking }), isClosing: false };
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        active.add(res);
        res.on('close', forget); // 'close' comes once per response; `once` would wrap `forget` per request
        // A request that arrives on a kept-alive connection during shutdown is served, then its
        // connection closes (Connection: close).
        if (listener.isClosing) res.shouldKeepAlive = false;
        router.handle(req, res);
      });
      resolve(listener);
    });
  });
}

/** Applies a reloaded config to running listeners: certificates and timeouts, no connection dropped. */
export function updateListeners(listeners: readonly Listener[], config: Config, tls: FrontTlsOptions | undefined): void {
  for (const { kind, server } of listeners) {
    server.headersTimeout = config.server.requestHeaderTimeoutMs;
    server.keepAliveTimeout = config.server.keepAliveTimeoutMs;
    // New handshakes use the new certificate; established connections keep theirs.
    if (kind === 'https' && tls !== undefined) (server as HttpsServer).setSecureContext(tls);
  }
}

/**
 * Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts what is left.
 * server.close() alone is not enough: it closes idle connections, but a keep-alive connection busy
 * at that moment would send its response with `Connection: keep-alive` and then linger until the
 * keep-alive timeout (measured on Node 24: 6.2 s with the default 5 s timeout). So in-flight
 * responses are switched to `Connection: close` or, when their head is already out, their
 * connection is ended as soon as they finish.
 */
export async function closeListeners(listeners: readonly Listener[], graceMs: number): Promise<void> {
  await Promise.all(
    listeners.map((listener) => {
      const { server } = listener;
      listener.isClosing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Nothing was asked of the proxy on these yet: no request to finish.
      for (const socket of listener.handshaking?.values() ?? []) socket.destroy();
      for (const res of listener.active) {
        if (!res.headersSent) res.shouldKeepAlive = false;
        else {
          const socket: Socket | null = res.socket;
          if (socket !== null) res.once('finish', () => socket.end());
        }
      }
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      return closed.finally(() => clearTimeout(timer));
    }),
  );
}
