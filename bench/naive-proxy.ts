// The reference point for "what does Node itself cost": the smallest reverse proxy one would write
// with node:http — a keep-alive Agent and two pipes, no routing, no cookie, no sniffing, no
// replay. It forwards everything to the first coordinator. Only `Connection` and `Keep-Alive` are
// dropped, both ways: a client's `Connection: close` would close the pooled upstream connection
// after every request, and the coordinator's `Connection: keep-alive` would keep a client
// connection open that the client asked to close.
//
//   node bench/naive-proxy.ts HTTPS_PORT HTTP_PORT CERT_FILE KEY_FILE UPSTREAM_PORT
import { readFileSync } from 'node:fs';
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { pipeline } from 'node:stream';

const [httpsPort, httpPort, certFile, keyFile, upstreamPort] = process.argv.slice(2);
if (upstreamPort === undefined) throw new Error('usage: naive-proxy.ts HTTPS_PORT HTTP_PORT CERT_FILE KEY_FILE UPSTREAM_PORT');
// 16 sockets: the same as impala-ha-proxy's upstream.connectionsPerCoordinator default.
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function handle(req: IncomingMessage, res: ServerResponse): void {
  const headers = withoutConnectionHeaders(req.headers);
  const upstream = request({ host: '127.0.0.1', port: Number(upstreamPort), method: req.method, path: req.url, headers, agent }, (reply) => {
    if (res.destroyed) {
      reply.destroy();
      return;
    }
    res.writeHead(reply.statusCode ?? 502, withoutConnectionHeaders(reply.headers));
    // pipeline, not pipe: a client that leaves mid-reply must also free the pooled upstream socket,
    // or the Agent runs out of sockets after 16 aborted replies.
    pipeline(reply, res, () => {});
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  pipeline(req, upstream, () => {});
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
}

function withoutConnectionHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy = { ...headers };
  delete copy.connection;
  delete copy['keep-alive'];
  return copy;
}

const serverOptions = { keepAliveTimeout: 120_000, requestTimeout: 0, noDelay: true };
createHttpsServer({ ...serverOptions, cert: readFileSync(certFile!), key: readFileSync(keyFile!) }, handle).listen(Number(httpsPort), '127.0.0.1');
createServer(serverOptions, handle).listen(Number(httpPort), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
// A reference that crashes would stop the whole benchmark; say what happened and keep serving.
process.on('uncaughtException', (error) => process.stderr.write(`naive-proxy: ${error.stack ?? String(error)}\n`));
