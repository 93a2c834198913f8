// The client-facing listeners: HTTPS (TLS terminated here) and optional plain HTTP. Requests are
// dispatched by path: /ui → web UIs, GET /healthz|/readyz → the proxy itself, anything else → hs2.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import { frontTlsOptions } from './tls/files.ts';

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
  isClosing: boolean;
}

export async function startListeners(config: Config, router: RequestRouter, logger: Logger, observer?: ListenerObserver): Promise<Listener[]> {
  const listeners: Listener[] = [];
  const serverOptions = {
    // Slow-client guard: the whole request head within this time (HAProxy `timeout http-request`).
    headersTimeout: config.server.requestHeaderTimeoutMs,
    // Node enforces headersTimeout only when it checks, every 30 s by default: a 10 s limit then
    // cut a stalled head after up to 30 s (test/regressions/request-head-timeout.test.ts). The check
    // walks only connections with a request in progress, so once a second costs next to nothing.
    connectionsCheckingInterval: 1_000,
    // Bodies may legitimately take long (large statements over slow links); the head may not.
    requestTimeout: 0,
    keepAliveTimeout: config.server.keepAliveTimeoutMs,
    // Sockets are paused/resumed per request; Nagle only adds latency to small Thrift replies.
    noDelay: true,
  };
  try {
    if (config.listen.https) {
      const server = createHttpsServer({ ...serverOptions, ...frontTlsOptions(config.tls!) });
      server.on('tlsClientError', (error, socket) => {
        observer?.onTlsError('https', (error as NodeJS.ErrnoException).code);
        logger.debug({ event: 'tls-error', code: (error as NodeJS.ErrnoException).code, client: socket.remoteAddress }, error.message);
      });
      if (observer !== undefined) server.on('secureConnection', () => observer.onTlsHandshake('https'));
      listeners.push(await listen('https', server, config.listen.https.host, config.listen.https.port, router));
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
    listener.server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      // Malformed request heads get a proper status instead of a silently dropped socket.
      if (socket.writable && !socket.destroyed) {
        const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      } else socket.destroy();
      logger.debug({ event: 'client-error', code: error.code }, error.message);
    });
    logger.info({ event: 'listening', kind: listener.kind, host: listener.host, port: listener.port }, `listening on ${listener.kind}://${listener.host}:${listener.port}`);
  }
  return listeners;
}

function listen(kind: Listener['kind'], server: Server, host: string, port: number, router: RequestRouter): Promise<Listener> {
  const active = new Set<ServerResponse>();
  // One listener function per server, not per request: `this` is the response that closed.
  const forget = function (this: ServerResponse) {
    active.delete(this);
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const listener: Listener = { kind, server, host, port: (server.address() as AddressInfo).port, active, isClosing: false };
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        active.add(res);
        res.once('close', forget);
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
export function updateListeners(listeners: readonly Listener[], config: Config, tls: ReturnType<typeof frontTlsOptions> | undefined): void {
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
