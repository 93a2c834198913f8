// The HTTP framing of impalad's hs2-http port (be/src/transport/THttpServer.cpp, research §3):
// one Thrift message per POST body, every Thrift reply (errors included) a 200 with THttpServer's
// headers, a raw 401 without Content-Length, CORS on OPTIONS. The coordinator decides; these
// write the bytes. The web UI shares createHttpServer.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type net from 'node:net';

const THRIFT_SERVER_HEADER = 'Thrift/0.16.0';

/** A non-listening http(s) server; the coordinator's listener hands it accepted sockets. */
export function createHttpServer(
  tls: { cert: string | Buffer; key: string | Buffer } | undefined,
  onRequest: (request: IncomingMessage, response: ServerResponse, expectsContinue: boolean) => void,
): http.Server {
  // keepAliveTimeout 0: impalad keeps idle client connections open until the client closes them.
  const options = { keepAliveTimeout: 0, requestTimeout: 0 };
  const server = tls ? https.createServer({ ...options, ...tls }) : http.createServer(options);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => onRequest(request, response, false));
  // impalad sends `100 Continue` only after authentication passed (THttpServer).
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => onRequest(request, response, true));
  server.on('clientError', (_error: Error, socket: net.Socket) => socket.destroy());
  server.on('tlsClientError', (_error: Error, socket: net.Socket) => socket.destroy());
  return server;
}

export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > maxBytes) throw new Error(`request body larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}

/** The CORS answer to OPTIONS. */
export function writeOptions(response: ServerResponse): void {
  response.writeHead(200, {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, Authorization, Cookie',
    'Content-Length': '0',
  });
  response.end();
}

/** THttpServer::flush: every Thrift reply, errors included, is a 200 with these headers. */
export function writeThriftReply(response: ServerResponse, reply: Buffer, setCookies: readonly string[]): void {
  const headers = [
    'Date', new Date().toUTCString(),
    'Server', THRIFT_SERVER_HEADER,
    'Access-Control-Allow-Origin', '*',
    'Content-Type', 'application/x-thrift',
    'Content-Length', String(reply.length),
    'Connection', 'Keep-Alive',
  ];
  for (const cookie of setCookies) headers.push('Set-Cookie', cookie);
  response.sendDate = false;
  response.writeHead(200, headers);
  response.end(reply);
}

/**
 * THttpServer::returnUnauthorized: status line, Date, `Connection: close`, then the queued
 * return headers (delete cookie first, WWW-Authenticate last); no Content-Length, no body; the
 * connection is closed. Written raw because Node's ServerResponse would add a Content-Length.
 */
export function writeUnauthorized(socket: net.Socket, setCookies: readonly string[]): void {
  const lines = ['HTTP/1.1 401 Unauthorized', `Date: ${new Date().toUTCString()}`, 'Connection: close'];
  for (const cookie of setCookies) lines.push(`Set-Cookie: ${cookie}`);
  lines.push('WWW-Authenticate: Basic', '', '');
  socket.end(lines.join('\r\n'), () => socket.destroy());
}
