// A coordinator stand-in that must never be the bottleneck: every hs2-http POST is answered at once
// with a precomputed Thrift REPLY whose size the request asks for, every GET with 200 OK (the health
// checks of the proxies), and every fixed-size call on a binary HS2 port with a REPLY of the size
// its seqid asks for (bench/fake-replies.ts). No parsing, no logging, keep-alive.
//
//   node bench/fake-coordinator.ts COUNT CERT_FILE KEY_FILE
//
// Listens, all on 127.0.0.1, on COUNT plain hs2-http ports (one per coordinator behind the
// proxies; also their web UI port, for health checks), COUNT binary HS2 ports (their hs2Port) and
// one TLS hs2-http port (the `direct` target of the TLS workloads), and prints the ports as one
// JSON line. GET /bench-stats answers the connection, resumed-TLS-session and request counters (to
// check that a load generator really reconnects, and with full handshakes).
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { answerHttp, serveBinary, type ReplyCounters } from './fake-replies.ts';

const [countArgument = '2', certFile, keyFile] = process.argv.slice(2);
const counters: ReplyCounters = { connections: 0, resumedTlsSessions: 0, requests: 0 };

function handle(req: IncomingMessage, res: ServerResponse): void {
  answerHttp(req, res, counters);
}

const serverOptions = { keepAliveTimeout: 600_000, headersTimeout: 60_000, requestTimeout: 0, noDelay: true };

function listen(server: Server | NetServer): Promise<number> {
  server.on('connection', () => {
    counters.connections += 1;
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

const plain: number[] = [];
const binary: number[] = [];
for (let i = 0; i < Number(countArgument); i++) {
  plain.push(await listen(createServer(serverOptions, handle)));
  binary.push(await listen(createNetServer({ noDelay: true }, (socket) => serveBinary(socket, counters))));
}
let tls: number | null = null;
if (certFile !== undefined && keyFile !== undefined) {
  const server = createHttpsServer({ ...serverOptions, cert: readFileSync(certFile), key: readFileSync(keyFile) }, handle);
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.isSessionReused()) counters.resumedTlsSessions += 1;
  });
  tls = await listen(server);
}
process.stdout.write(`${JSON.stringify({ plain, binary, tls })}\n`);
process.on('SIGTERM', () => process.exit(0));
