// Path dispatch for the client listeners: GET/HEAD /healthz and /readyz → the proxy itself,
// /ui… → the web UI proxy, anything else → hs2. Each request is read against the generation current
// when it arrives, and keeps it (its replays excepted: candidates.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerProbe, probeKind, type Readiness } from './admin/probes.ts';
import type { Generation } from './generation.ts';
import { respondText } from './http/respond.ts';
import type { Logger } from './log.ts';
import type { RequestRouter } from './server.ts';

export class RequestDispatcher implements RequestRouter {
  readonly #current: () => Generation;
  readonly #readiness: () => Readiness;
  readonly #logger: Logger;

  constructor(current: () => Generation, readiness: () => Readiness, logger: Logger) {
    this.#current = current;
    this.#readiness = readiness;
    this.#logger = logger;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const probe = probeKind(req); // GET/HEAD only: hs2 POSTs pass after one comparison
    if (probe !== undefined) return answerProbe(probe, req, res, this.#readiness);
    const generation = this.#current();
    if (isUiPath(req.url)) return generation.webui.handle(req, res);
    generation.hs2.handle(req, res).catch((error: unknown) => {
      this.#logger.error({ err: error, event: 'internal-error' }, 'unexpected error in the hs2 path');
      if (!respondText(res, 500, 'internal proxy error\n')) res.destroy();
    });
  }
}

/** `/ui`, `/ui/…`, `/ui?…`: the only paths that go to the web UI proxy. */
function isUiPath(url: string | undefined): boolean {
  if (url === undefined || url.charCodeAt(1) !== 117 /* u */ || !url.startsWith('/ui')) return false;
  const next = url.charCodeAt(3);
  return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
}
