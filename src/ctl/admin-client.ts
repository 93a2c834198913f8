// One HTTP request to the admin API per command, on its own connection (no keep-alive: the
// process exits right after). Transport failures and the API's error statuses become CtlErrors
// with one clear line each; what a status means depends on the command, so callers map those.
import http from 'node:http';
import https from 'node:https';
import { CtlError, exitCodes, oneLine } from './errors.ts';
import type { AdminTarget } from './target.ts';

export interface AdminResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export function adminRequest(target: AdminTarget, method: 'GET' | 'POST', path: string, timeoutMs: number): Promise<AdminResponse> {
  const url = new URL(`${target.url}${path}`);
  const module = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = module.request(
      url,
      {
        method,
        agent: false,
        headers: { accept: 'application/json, text/plain', ...(target.token !== undefined && { authorization: `Bearer ${target.token}` }), ...(method === 'POST' && { 'content-length': 0 }) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body });
        });
        res.on('error', fail);
      },
    );
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    function fail(error: NodeJS.ErrnoException): void {
      clearTimeout(timer);
      reject(new CtlError(exitCodes.unreachable, `cannot reach the admin API at ${target.url}: ${describeTransportError(error)}; is the proxy running, and is that its admin.host/admin.port?`));
    }
    req.on('error', fail);
    req.end();
  });
}

function describeTransportError(error: NodeJS.ErrnoException): string {
  // AggregateError (every address of a name refused): its errors say more than its empty message.
  const inner = error instanceof AggregateError && error.errors.length > 0 ? (error.errors[0] as NodeJS.ErrnoException) : error;
  return inner.message || inner.code || 'connection failed';
}

/** The errors every command shares: 401, and anything not in `expected`. */
export function checkResponse(target: AdminTarget, response: AdminResponse, what: string): void {
  if (response.status === 401) {
    throw new CtlError(
      exitCodes.unauthorized,
      target.token === undefined
        ? `the admin API at ${target.url} requires a token (401): pass --token, set IMPALA_HA_PROXY_ADMIN_TOKEN, or use --config with the proxy's config file`
        : `the admin API at ${target.url} rejected the token from ${target.tokenSource} (401): it is not that proxy's admin.token`,
    );
  }
  if (response.status < 200 || response.status >= 300) {
    throw new CtlError(exitCodes.unexpected, `${what}: unexpected answer from ${target.url}: HTTP ${response.status}${response.body.trim() === '' ? '' : `: ${oneLine(response.body).slice(0, 300)}`}`);
  }
}

/** The body as JSON, or an "unexpected answer" error (something else listens at that address). */
export function parseJson<T>(target: AdminTarget, response: AdminResponse, what: string): T {
  try {
    return JSON.parse(response.body) as T;
  } catch {
    throw new CtlError(exitCodes.unexpected, `${what}: ${target.url} did not answer like an impala-ha-proxy admin API (HTTP ${response.status}, ${response.contentType || 'no content type'})`);
  }
}
