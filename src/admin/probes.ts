// /healthz (the process is alive and serving) and /readyz (at least one coordinator can take new
// clients), answered on the admin listener and, for GET/HEAD, on the client listeners too: load
// balancers and kubelets probe whichever port they can reach. hs2 clients only ever POST.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CoordinatorSet } from '../upstream/coordinator-set.ts';

export type ProbeKind = 'healthz' | 'readyz';

/** Cheap check for the client listeners' router: no URL parsing on the hs2 path. */
export function probeKind(req: IncomingMessage): ProbeKind | undefined {
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (path === '/healthz') return 'healthz';
  if (path === '/readyz') return 'readyz';
  return undefined;
}

export interface Readiness {
  readonly available: number;
  readonly total: number;
}

/** What /readyz reports of a generation's coordinators. */
export function readinessOf(coordinators: CoordinatorSet): Readiness {
  return { available: coordinators.available().length, total: coordinators.all.length };
}

export function answerProbe(kind: ProbeKind, req: IncomingMessage, res: ServerResponse, readiness: () => Readiness): void {
  let status = 200;
  let text = 'ok\n';
  if (kind === 'readyz') {
    const { available, total } = readiness();
    status = available > 0 ? 200 : 503;
    text = `${available > 0 ? 'ready' : 'not ready'}: ${available} of ${total} coordinators available\n`;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : text);
}
