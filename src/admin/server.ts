// The admin listener (127.0.0.1:9090 by default), apart from client traffic: probes, Prometheus
// metrics, the status page and the operator API. With admin.token set, everything but the probes
// needs `Authorization: Bearer <token>` (kubelets and load balancers probe without credentials).
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OperatorState } from '../config/schema.ts';
import { respondText } from '../http/respond.ts';
import type { Logger } from '../log.ts';
import type { ProxyMetrics } from '../metrics/metrics.ts';
import { renderStatusPage } from '../status/page.ts';
import type { StatusSnapshot } from '../status/snapshot.ts';
import { answerProbe, probeKind, type Readiness } from './probes.ts';

export const operatorActions = { drain: 'draining', enable: 'enabled', disable: 'disabled' } as const satisfies Record<string, OperatorState>;
export type OperatorAction = keyof typeof operatorActions;

export interface OperatorChange {
  readonly coordinator: string;
  readonly before: OperatorState;
  readonly after: OperatorState;
}

/** /metrics: one process's ProxyMetrics, or with workers the primary's aggregate of every process. */
export type AdminMetrics = Pick<ProxyMetrics, 'exposition' | 'countAdminAction'> & { readonly registry: { readonly contentType: string } };

/**
 * What the admin listener needs from the proxy; getters, because a reload swaps what is behind.
 * With workers the answers come from the primary, which asks the workers (status) or waits until
 * every worker applied a change (setOperatorState): hence the promises.
 */
export interface AdminTarget {
  token(): string | undefined;
  readonly metrics: AdminMetrics;
  readiness(): Readiness;
  status(): StatusSnapshot | Promise<StatusSnapshot>;
  /** undefined: no coordinator by that 1-based number or name. */
  setOperatorState(key: string, action: OperatorAction, who: string): OperatorChange | undefined | Promise<OperatorChange | undefined>;
  /**
   * POST /admin/reload: re-reads the config file and applies it, as SIGHUP does; resolves with a
   * summary (sent as JSON), rejects when the new config is refused (the old one keeps serving).
   * Absent when there is no file to re-read (the embedded demo config): 501.
   */
  reload?: () => Promise<unknown>;
}

export interface AdminListener {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
}

const operatorPath = /^\/admin\/coordinators\/([A-Za-z0-9._-]{1,63})\/([a-z]+)$/;

export async function startAdminListener(host: string, port: number, target: AdminTarget, logger: Logger): Promise<AdminListener> {
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    handleAdmin(req, res, target, logger).catch((error: unknown) => {
      logger.error({ err: error, event: 'admin-error' }, 'admin request failed');
      if (!respondText(res, 500, 'internal error\n')) res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info({ event: 'listening', kind: 'admin', host, port: bound }, `admin listening on http://${host}:${bound}`);
  return { server, host, port: bound };
}

async function handleAdmin(req: IncomingMessage, res: ServerResponse, target: AdminTarget, logger: Logger): Promise<void> {
  const probe = probeKind(req);
  if (probe !== undefined) return answerProbe(probe, req, res, () => target.readiness());
  if (!isAuthorized(req, target.token())) {
    respondText(res, 401, 'admin token required: Authorization: Bearer <admin.token>\n', { 'www-authenticate': 'Bearer realm="impala-ha-proxy admin"' });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://admin');
  const path = url.pathname;
  const isRead = req.method === 'GET' || req.method === 'HEAD';

  if (path === '/metrics' && isRead) {
    const text = await target.metrics.exposition();
    return sendBody(req, res, 200, target.metrics.registry.contentType, text);
  }
  if (path === '/status' && isRead) {
    const snapshot = await target.status();
    if (url.searchParams.get('format') === 'json') return sendBody(req, res, 200, 'application/json; charset=utf-8', `${JSON.stringify(snapshot, null, 2)}\n`);
    return sendBody(req, res, 200, 'text/html; charset=utf-8', renderStatusPage(snapshot));
  }
  if (path === '/' && isRead) {
    res.writeHead(302, { location: '/status', 'content-length': 0 });
    res.end();
    return;
  }
  if (path === '/admin/reload') {
    if (req.method !== 'POST') {
      respondText(res, 405, 'use POST\n', { allow: 'POST' });
      return;
    }
    req.resume();
    return reloadConfig(req, res, target, logger);
  }
  const match = operatorPath.exec(path);
  if (match !== null) {
    if (req.method !== 'POST') {
      respondText(res, 405, 'use POST\n', { allow: 'POST' });
      return;
    }
    req.resume(); // no body is expected; drain whatever came
    const [, key, action] = match as unknown as [string, string, string];
    if (!Object.hasOwn(operatorActions, action)) {
      respondText(res, 404, `unknown action "${action}": use drain, enable or disable\n`);
      return;
    }
    const change = await target.setOperatorState(key, action as OperatorAction, `${req.socket.remoteAddress}:${req.socket.remotePort}`);
    if (change === undefined) {
      respondText(res, 404, `no coordinator "${key}" (use its 1-based number or its name)\n`);
      return;
    }
    target.metrics.countAdminAction(action);
    return sendBody(req, res, 200, 'application/json; charset=utf-8', `${JSON.stringify(change)}\n`);
  }
  respondText(res, 404, 'not found: /status, /status?format=json, /metrics, /healthz, /readyz, POST /admin/coordinators/<n|name>/{drain,enable,disable}, POST /admin/reload\n');
}

/** 200 with the reload summary; 409 when the new config is refused (the running one keeps serving). */
async function reloadConfig(req: IncomingMessage, res: ServerResponse, target: AdminTarget, logger: Logger): Promise<void> {
  if (target.reload === undefined) {
    respondText(res, 501, 'reload is not available: this proxy was not started from a config file\n');
    return;
  }
  const who = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
  logger.info({ event: 'admin', who, action: 'reload' }, `admin: reload requested by ${who}`);
  target.metrics.countAdminAction('reload');
  let summary: unknown;
  try {
    summary = await target.reload();
  } catch (error) {
    // The proxy logged the rejection (reload-rejected); the caller gets the same reason.
    const problems = (error as { problems?: unknown }).problems;
    const body = { error: 'reload-rejected', message: (error as Error).message, ...(Array.isArray(problems) && { problems }) };
    return sendBody(req, res, 409, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
  }
  return sendBody(req, res, 200, 'application/json; charset=utf-8', `${JSON.stringify(summary ?? {})}\n`);
}

function isAuthorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = req.headers.authorization;
  if (header === undefined || !/^bearer /i.test(header)) return false;
  const given = Buffer.from(header.slice(7).trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function sendBody(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Stops the admin listener at once: its requests are short, and none is worth waiting for at shutdown. */
export function closeAdminListener(admin: AdminListener): Promise<void> {
  return new Promise((resolve) => {
    admin.server.close(() => resolve());
    admin.server.closeAllConnections();
  });
}
