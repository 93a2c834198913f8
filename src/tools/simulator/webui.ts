// The simulated impalad web UI (port 25000 in a real cluster; research §4): /healthz,
// /backends?json, a few templated pages with `?json`, static /www files; gzip and Impala's
// security headers on every response.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { formatImpalaId, parseImpalaId } from '../thrift/hs2.ts';
import { authenticate, type AuthCookieSigner, type AuthCounters } from './auth.ts';
import type { Hs2Service } from './hs2-service.ts';
import {
  COMMON_JS,
  STYLE_CSS,
  messagePage,
  queriesJson,
  queriesPage,
  rootPage,
  sessionsPage,
  type PageContext,
} from './webui-pages.ts';

export interface BackendInfo {
  name: string;
  host: string;
  hs2HttpPort: number;
  webuiUrl: string;
  isQuiescing: boolean;
  startedAt: number;
}

export interface WebUiState {
  name: string;
  version: string;
  isTls: boolean;
  startedAt: number;
  isHealthy(): boolean;
  isQuiescing(): boolean;
  service(): Hs2Service;
  /** The statestore membership snapshot: this coordinator and its running peers. */
  backends(): BackendInfo[];
  /** Present when the web UI requires authentication. */
  auth?: { users: ReadonlyMap<string, string>; signer: AuthCookieSigner; counters: AuthCounters };
}

/** webserver.cc: the same headers on every response. */
const SECURITY_HEADERS: [string, string][] = [
  ['Content-Security-Policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:;"],
  ['X-Frame-Options', 'DENY'],
  ['Cache-Control', 'no-store'],
];

const MAX_FORM_BYTES = 64 * 1024;

/** squeasel remove_double_dots_and_double_slashes: `//queries` is `/queries`, `..` never climbs. */
export function normalizeWebUiPath(rawPath: string): string {
  const collapsed = rawPath.replace(/\/{2,}/g, '/');
  const segments: string[] = [];
  for (const segment of collapsed.split('/')) {
    if (segment === '..' || segment === '.') continue;
    segments.push(segment);
  }
  const joined = segments.join('/');
  return joined.startsWith('/') ? joined : `/${joined}`;
}

function send(
  request: IncomingMessage,
  response: ServerResponse,
  state: WebUiState,
  status: number,
  contentType: string,
  body: string | Buffer,
  extraHeaders: [string, string][] = [],
): void {
  let payload = typeof body === 'string' ? Buffer.from(body) : body;
  const headers: [string, string][] = [['Content-Type', contentType], ...SECURITY_HEADERS, ...extraHeaders];
  if (state.isTls) headers.push(['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']);
  if (payload.length > 0 && /\bgzip\b/i.test(String(request.headers['accept-encoding'] ?? ''))) {
    payload = gzipSync(payload);
    headers.push(['Content-Encoding', 'gzip']);
  }
  headers.push(['Content-Length', String(payload.length)]);
  response.writeHead(status, headers.flat());
  response.end(request.method === 'HEAD' ? undefined : payload);
}

function common(state: WebUiState): object {
  return {
    'process-name': 'impalad',
    'host-url': '',
    navbar: ['/', '/backends', '/queries', '/sessions'].map((link) => ({ link, title: link })),
    coordinator: state.name,
  };
}

function backendsJson(state: WebUiState): object {
  const backends = state.backends().map((backend) => ({
    // The simulator has no KRPC port; the hs2 port keeps each address unique.
    address: `${backend.host}:${backend.hs2HttpPort}`,
    krpc_address: `${backend.host}:${backend.hs2HttpPort}`,
    backend_id: backend.name,
    webserver_url: backend.webuiUrl,
    is_coordinator: true,
    is_executor: true,
    is_quiescing: backend.isQuiescing,
    is_blacklisted: false,
    is_active: !backend.isQuiescing,
    executor_groups: 'default',
    process_start_time: new Date(backend.startedAt).toISOString(),
    version: `impalad version ${state.version}`,
  }));
  const quiescing = backends.filter((backend) => backend.is_quiescing).length;
  return {
    __common__: common(state),
    backends,
    num_active_backends: backends.length - quiescing,
    ...(quiescing > 0 ? { num_quiescing_backends: quiescing } : {}),
  };
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_FORM_BYTES) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function handleWebUiRequest(state: WebUiState, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const rawUrl = request.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  const path = normalizeWebUiPath(queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart));
  const query = new URLSearchParams(queryStart < 0 ? '' : rawUrl.slice(queryStart + 1));
  const wantsJson = query.has('json');

  const setCookies: string[] = [];
  if (state.auth) {
    const verdict = authenticate(request.headers, state.auth.users, state.auth.signer, state.auth.counters);
    setCookies.push(...verdict.setCookies);
    if (!verdict.ok) {
      const headers: [string, string][] = [['WWW-Authenticate', 'Basic realm="impalad"']];
      for (const cookie of setCookies) headers.push(['Set-Cookie', cookie]);
      send(request, response, state, 401, 'text/plain', 'Must authenticate with Basic authentication.', headers);
      return;
    }
  }
  const cookieHeaders: [string, string][] = setCookies.map((cookie) => ['Set-Cookie', cookie]);
  const page: PageContext = { name: state.name, version: state.version, title: path };
  const html = (status: number, body: string) => send(request, response, state, status, 'text/html; charset=utf-8', body, cookieHeaders);
  const json = (value: object) =>
    send(request, response, state, 200, 'application/json', JSON.stringify({ __common__: common(state), ...value }, null, 2), cookieHeaders);
  const service = state.service();

  if (request.method !== 'GET' && request.method !== 'HEAD' && !(request.method === 'POST' && path === '/close_session')) {
    send(request, response, state, 405, 'text/plain', 'Method Not Allowed', cookieHeaders);
    return;
  }

  switch (path) {
    case '/healthz':
      if (state.isHealthy()) send(request, response, state, 200, 'text/plain', 'OK', cookieHeaders);
      else send(request, response, state, 503, 'text/plain', 'Not Available', cookieHeaders);
      return;
    case '/backends':
      if (wantsJson) send(request, response, state, 200, 'application/json', JSON.stringify(backendsJson(state), null, 2), cookieHeaders);
      else html(200, rootPage({ ...page, title: 'Backends' }, { startedAt: state.startedAt, sessionCount: service.sessionCount, queryCount: service.queries().length }));
      return;
    case '/':
      if (wantsJson) json({ version: state.version, process_start_time: new Date(state.startedAt).toISOString() });
      else html(200, rootPage(page, { startedAt: state.startedAt, sessionCount: service.sessionCount, queryCount: service.queries().length }));
      return;
    case '/queries':
      if (wantsJson) json({ queries: queriesJson(service.queries()) });
      else html(200, queriesPage({ ...page, title: 'Queries' }));
      return;
    case '/sessions': {
      const sessions = service.sessions();
      if (wantsJson) {
        json({
          num_sessions: sessions.length,
          sessions: sessions.map((session) => ({ session_id: formatImpalaId(session.guid), user: session.user, start_time: new Date(session.openedAt).toISOString() })),
        });
      } else {
        html(200, sessionsPage({ ...page, title: 'Sessions' }, sessions));
      }
      return;
    }
    case '/close_session': {
      const form = request.method === 'POST' ? await readForm(request) : query;
      const id = form.get('session_id') ?? '';
      let closed = false;
      try {
        closed = service.closeSessionById(parseImpalaId(id).toString('hex'));
      } catch {
        closed = false;
      }
      html(closed ? 200 : 404, messagePage(page, closed ? `Session ${id} closed.` : `Unknown session ${id}.`));
      return;
    }
    case '/www/style.css':
      send(request, response, state, 200, 'text/css', STYLE_CSS, cookieHeaders);
      return;
    case '/www/common.js':
      send(request, response, state, 200, 'text/javascript', COMMON_JS, cookieHeaders);
      return;
    default:
      html(404, messagePage(page, `No URI handler for '${path}'`));
  }
}
