// Floor 2 of "what does Node itself cost": the least a node:http + undici proxy does, which is what
// impala-ha-proxy is built from. Every request is streamed, as it comes, to one undici Pool (the
// first coordinator; 16 connections like upstream.connectionsPerCoordinator) through the same
// low-level dispatch() handler interface the proxy uses, and the reply is streamed back with
// backpressure. No routing, no cookie, no sniffing, no checks, no replay buffer: the headers are
// passed on as they came, without the hop-by-hop ones undici refuses to send.
//
//   node bench/undici-pass.ts HTTPS_PORT HTTP_PORT CERT_FILE KEY_FILE UPSTREAM_PORT
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Pool, type Dispatcher } from 'undici';

const [httpsPort, httpPort, certFile, keyFile, upstreamPort] = process.argv.slice(2);
if (upstreamPort === undefined) throw new Error('usage: undici-pass.ts HTTPS_PORT HTTP_PORT CERT_FILE KEY_FILE UPSTREAM_PORT');

const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 16, pipelining: 1, keepAliveTimeout: 30_000 });
/** undici throws on these (lib/core/request.js); the rest of the client's headers go as they are. */
const refused = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'host', 'proxy-connection', 'te']);

class PassThrough implements Dispatcher.DispatchHandler {
  readonly #res: ServerResponse;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#res.once('close', () => {
      if (!this.#res.writableFinished) controller.abort(new Error('client went away'));
    });
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    const out: string[] = [];
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || refused.has(name)) continue;
      if (typeof value === 'string') out.push(name, value);
      else for (const item of value) out.push(name, item);
    }
    this.#res.writeHead(statusCode, out);
    this.#res.on('drain', () => controller.resume());
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#res.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    this.#res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#res.headersSent) this.#res.destroy(error);
    else this.#res.writeHead(502, { 'content-length': 0 }).end();
  }
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!refused.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
  pool.dispatch({ path: req.url ?? '/', method: req.method as Dispatcher.HttpMethod, headers, body: req }, new PassThrough(res));
}

const serverOptions = { keepAliveTimeout: 120_000, requestTimeout: 0, noDelay: true };
createHttpsServer({ ...serverOptions, cert: readFileSync(certFile!), key: readFileSync(keyFile!) }, handle).listen(Number(httpsPort), '127.0.0.1');
createServer(serverOptions, handle).listen(Number(httpPort), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
// A reference that crashes would stop the whole benchmark; say what happened and keep serving.
process.on('uncaughtException', (error) => process.stderr.write(`undici-pass: ${error.stack ?? String(error)}\n`));
