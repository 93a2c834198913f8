// The client-facing listeners: HTTPS (TLS terminated here) and optional plain HTTP. Requests are
// dispatched by path: /ui → web UIs, GET /healthz|/readyz → the proxy itself, anything else → hs2.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import { frontTlsOptions } from './tls/files.ts';

export interface RequestRouter {
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export interface Listener {
  readonly kind: 'https' | 'http';
  readonly server: Server;
  /** Bound port (the real one when the config said 0). */
  readonly port: number;
  readonly host: string;
}

export async function startListeners(config: Config, router: RequestRouter, logger: Logger): Promise<Listener[]> {
  const listeners: Listener[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => router.handle(req, res);
  const serverOptions = {
    // Slow-client guard: the whole request head within this time (HAProxy `timeout http-request`).
    headersTimeout: config.server.requestHeaderTimeoutMs,
    // Bodies may legitimately take long (large statements over slow links); the head may not.
    requestTimeout: 0,
    keepAliveTimeout: config.server.keepAliveTimeoutMs,
    // Sockets are paused/resumed per request; Nagle only adds latency to small Thrift replies.
    noDelay: true,
  };
  try {
    if (config.listen.https) {
      const server = createHttpsServer({ ...serverOptions, ...frontTlsOptions(config.tls!) }, onRequest);
      server.on('tlsClientError', (error, socket) => {
        logger.debug({ event: 'tls-error', code: (error as NodeJS.ErrnoException).code, client: socket.remoteAddress }, error.message);
      });
      listeners.push(await listen('https', server, config.listen.https.host, config.listen.https.port));
    }
    if (config.listen.http) {
      const server = createHttpServer(serverOptions, onRequest);
      listeners.push(await listen('http', server, config.listen.http.host, config.listen.http.port));
    }
  } catch (error) {
    await closeListeners(listeners, 0);
    throw error;
  }
  for (const listener of listeners) {
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

function listen(kind: Listener['kind'], server: Server, host: string, port: number): Promise<Listener> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ kind, server, host, port: (server.address() as AddressInfo).port });
    });
  });
}

/** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts what is left. */
export async function closeListeners(listeners: readonly Listener[], graceMs: number): Promise<void> {
  await Promise.all(
    listeners.map(({ server }) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      return closed.finally(() => clearTimeout(timer));
    }),
  );
}
