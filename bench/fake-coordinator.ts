// A coordinator stand-in that must never be the bottleneck: every POST is answered at once with a
// precomputed Thrift REPLY whose size the request asks for (X-Bench-Reply-Bytes, default 512), every
// GET with 200 OK (the health checks of the proxies). No parsing, no logging, keep-alive.
//
//   node bench/fake-coordinator.ts PLAIN_COUNT CERT_FILE KEY_FILE
//
// Listens on PLAIN_COUNT plain ports (one per coordinator behind the proxies) and one TLS port
// (the `direct` target of the TLS workloads), all on 127.0.0.1, and prints their ports as one JSON
// line. GET /bench-stats answers the connection, resumed-TLS-session and request counters (to check
// that a load generator really reconnects, and with full handshakes).
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { fetchResultsReply } from './thrift-messages.ts';

const [plainCountArgument = '2', certFile, keyFile] = process.argv.slice(2);
const replies = new Map<number, Buffer>();
const maxReplyBytes = 64 * 1024 * 1024;
const counters = { connections: 0, resumedTlsSessions: 0, requests: 0 };

function reply(bytes: number): Buffer {
  let buffer = replies.get(bytes);
  if (buffer === undefined) {
    buffer = fetchResultsReply(bytes);
    replies.set(bytes, buffer);
  }
  return buffer;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  counters.requests += 1;
  if (req.method !== 'POST') {
    const text = req.url === '/bench-stats' ? JSON.stringify(counters) : 'OK';
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  const asked = Number(req.headers['x-bench-reply-bytes'] ?? 512);
  const body = reply(Number.isInteger(asked) && asked > 0 && asked <= maxReplyBytes ? asked : 512);
  // Answer once the request body is read, as impalad does (it parses the whole call first).
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/x-thrift', 'content-length': body.length });
    res.end(body);
  });
  req.resume();
}

const serverOptions = { keepAliveTimeout: 600_000, headersTimeout: 60_000, requestTimeout: 0, noDelay: true };

function listen(server: Server): Promise<number> {
  server.on('connection', () => {
    counters.connections += 1;
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

const plain: number[] = [];
for (let i = 0; i < Number(plainCountArgument); i++) plain.push(await listen(createServer(serverOptions, handle)));
let tls: number | null = null;
if (certFile !== undefined && keyFile !== undefined) {
  const server = createHttpsServer({ ...serverOptions, cert: readFileSync(certFile), key: readFileSync(keyFile) }, handle);
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.isSessionReused()) counters.resumedTlsSessions += 1;
  });
  tls = await listen(server);
}
process.stdout.write(`${JSON.stringify({ plain, tls })}\n`);
process.on('SIGTERM', () => process.exit(0));
