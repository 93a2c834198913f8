// A scripted stand-in for impalad's web UI (port 25000) for the /ui proxy tests: Impala-shaped
// pages (root-absolute links, `#root-link`, make_url()), gzip when asked, and misbehaviour on
// demand (redirects, cookies, slow, hang, reset, oversized HTML). Every request is recorded.
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { silentLogger, type Logger } from '../../src/log.ts';
import { needsUpstreamTls, upstreamTlsOptions } from '../../src/tls/files.ts';
import { CoordinatorRegistry } from '../../src/upstream/registry.ts';
import { CoordinatorSet } from '../../src/upstream/coordinator-set.ts';
import { WebUiProxy } from '../../src/webui/index.ts';
import { certPath, readCert } from './certs.ts';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeWebUi {
  readonly name: string;
  readonly port: number;
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** Requests to /hang whose client side closed before a response: the proxy propagated an abort. */
  readonly abortedHangs: number;
  /** TCP (or TLS) connections accepted. */
  readonly connections: number;
  close(): Promise<void>;
}

export function impalaPage(name: string, title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link href='/www/bootstrap/css/bootstrap.min.css' rel='stylesheet' media='screen'>
<script src='/www/jquery/jquery-3.5.1.min.js'></script>
<script>
function make_url(path) {
  const root_link = document.getElementById('root-link');
  const s = root_link.href.split("?");
  let url = s[0] + path;
  if (s.length > 1) url += (path.includes("?") ? "&" : "?") + s[1];
  return url;
}
</script>
</head><body>
<a id='root-link' class='navbar-brand' href='/'>Impala ${name}</a>
<ul><li><a href='/queries'>/queries</a></li><li><a href="/sessions">/sessions</a></li></ul>
${body}
</body></html>
`;
}

export async function startFakeWebUi(options: { name?: string; tls?: { cert: Buffer; key: Buffer } } = {}): Promise<FakeWebUi> {
  const name = options.name ?? 'fake';
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let abortedHangs = 0;
  let connections = 0;

  const send = (req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string | string[]> = {}, forceGzip = false) => {
    let payload = typeof body === 'string' ? Buffer.from(body) : body;
    const all: Record<string, string | string[] | number> = { 'content-type': type, 'cache-control': 'no-store', ...headers };
    if (forceGzip || /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      payload = gzipSync(payload);
      all['content-encoding'] = 'gzip';
    }
    all['content-length'] = payload.length;
    res.writeHead(status, all);
    res.end(req.method === 'HEAD' ? undefined : payload);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const record = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      requests.push(record);
      route(req, res, record);
    });
  };

  const route = (req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void => {
    const url = new URL(record.url, 'http://fake.invalid');
    const path = url.pathname.replace(/\/{2,}/g, '/'); // squeasel collapses double slashes
    switch (path) {
      case '/':
        return send(req, res, 200, 'text/html; charset=utf-8', impalaPage(name, `${name} root`, `<h2 id='whoami'>${name}</h2>`));
      case '/queries':
        if (url.searchParams.has('json')) {
          return send(req, res, 200, 'application/json', JSON.stringify({ coordinator: name, completed_queries: [{ query_id: `${name}:1`, stmt: 'select 1' }] }));
        }
        return send(req, res, 200, 'text/html; charset=utf-8', impalaPage(name, 'queries', `<form action='/cancel_query' method='post'><input type='hidden' name='csrf_token' value='t'></form><div id='queries'></div>`));
      case '/gzip-page':
        return send(req, res, 200, 'text/html', impalaPage(name, 'gzipped', '<p>always gzip</p>'), {}, true);
      case '/www/style.css':
        return send(req, res, 200, 'text/css', `.navbar { background: url('/www/bg.png') } .logo { background: url(../img/logo.png) }\n`);
      case '/www/big.js': // a large asset: streamed through, never rewritten
        return send(req, res, 200, 'application/javascript', Buffer.alloc(Number(url.searchParams.get('bytes') ?? 16 * 1024 * 1024), 0x2f));
      case '/www/app.js':
        return send(req, res, 200, 'application/javascript', `fetch("/queries?json"); const link = '<a href="/sessions">';\n`);
      case '/redirect': {
        const status = Number(url.searchParams.get('status') ?? 302);
        res.writeHead(status, { location: url.searchParams.get('to') ?? '/', 'content-length': 0 });
        return void res.end();
      }
      case '/cookies':
        res.writeHead(200, {
          'set-cookie': ['impala.auth=sig+/=&alice&1&r; HttpOnly; Max-Age=3600', 'a=1; Path=/', 'b=2; Path=/queries; Secure'],
          'content-length': 0,
        });
        return void res.end();
      case '/echo':
        return send(req, res, 200, 'application/json', JSON.stringify(record));
      case '/slow':
        setTimeout(() => send(req, res, 200, 'text/plain', 'late\n'), Number(url.searchParams.get('ms') ?? 1000)).unref();
        return;
      case '/hang':
        res.on('close', () => {
          if (!res.writableFinished) abortedHangs += 1;
        });
        return;
      case '/reset':
        return void req.socket.destroy();
      case '/big-html': {
        const bytes = Number(url.searchParams.get('bytes') ?? 9 * 1024 * 1024);
        const head = `<html><body><a href='/queries'>q</a><pre>`;
        return send(req, res, 200, 'text/html', head + 'x'.repeat(bytes - head.length));
      }
      case '/connection-listed':
        res.writeHead(200, { connection: 'x-private', 'x-private': 'secret', 'keep-alive': 'timeout=77', 'x-public': 'ok', 'content-length': 2 });
        return void res.end('ok');
      default:
        return send(req, res, 404, 'text/plain', 'not found\n');
    }
  };

  const server: Server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    get abortedHangs() {
      return abortedHangs;
    },
    get connections() {
      return connections;
    },
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A WebUiProxy mounted in its own HTTPS server (front TLS with the suite's proxy certificate),
// for tests that exercise the /ui path without the rest of the proxy.

export interface WebUiHarness {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly config: Config;
  readonly coordinators: CoordinatorSet;
  readonly webui: WebUiProxy;
  close(): Promise<void>;
}

export async function startWebUiHarness(options: {
  backends: readonly { name: string; port: number }[];
  webuiTls: boolean;
  /** Merged into the config object before validation. */
  config?: Record<string, unknown>;
  logger?: Logger;
}): Promise<WebUiHarness> {
  const config = validateConfig({
    listen: { https: null, http: { host: '127.0.0.1', port: 0 } },
    coordinators: options.backends.map((b) => ({ name: b.name, host: '127.0.0.1', hs2HttpPort: 1, webuiPort: b.port })),
    upstream: { mode: 'plain', webuiMode: options.webuiTls ? 'tls' : 'plain', tls: { caFile: certPath('ca.pem') } },
    cookie: { secrets: ['webui-test-secret-0123456789abcdef'] },
    admin: null,
    log: { level: 'silent', access: false },
    ...options.config,
  });
  const logger = options.logger ?? silentLogger;
  // As a generation does: the upstream TLS material read once, shared by the pools and the web UI proxy.
  const tls = needsUpstreamTls(config) ? upstreamTlsOptions(config.upstream.tls) : undefined;
  const coordinators = new CoordinatorSet({ config, secrets: config.cookie.secrets, registry: new CoordinatorRegistry(() => 0), tls, logger });
  const webui = new WebUiProxy({ config, coordinators, tls, logger });
  const server = createHttpsServer({ cert: readCert('proxy.pem'), key: readCert('proxy-key.pem') }, (req, res) => webui.handle(req, res));
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    config,
    coordinators,
    webui,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
      webui.close();
      await coordinators.destroy();
    },
  };
}

export interface SimpleResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  text: string;
}

/** One HTTPS request that trusts the suite CA; no pooling, so nothing is left open. */
export function requestText(url: string, options: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: options.method ?? 'GET', headers: options.headers, ca: readCert('ca.pem'), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString() });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Writes `request` verbatim over TLS (trusting the suite CA) and resolves with everything the
 * server sent until it closed the connection. For shapes an HTTP client would refuse to send.
 */
export function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: readCert('ca.pem') }, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}
