// Regression, issue 10 item 2: undici answers a request it refuses to build (here a path with a
// space) by calling onResponseError inside dispatch() and marking the pool's client as needing a
// drain that never comes (undici 8 pool-base.js kDispatch sets kNeedDrain = true; the client only
// emits 'drain' from kNeedDrain === 2). 16 such requests left every slot of a 16-connection pool
// unusable, and every later RPC queued forever. The proxy's own validation keeps such requests
// from reaching undici; this checks the last line of defence underneath it: Coordinator.dispatch
// replaces a pool that undici poisoned, so a later request is served.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
import { afterEach, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { Coordinator, type DispatchAttempt } from '../../src/upstream/coordinator.ts';
import { CoordinatorRegistry } from '../../src/upstream/registry.ts';

let server: Server | undefined;
let coordinator: Coordinator | undefined;
afterEach(async () => {
  await coordinator?.destroy();
  server?.close();
});

/** A dispatch handler that records how the request ended. */
class Recorder implements DispatchAttempt {
  isInDispatch = false;
  wasRejected = false;
  status = 0;
  error: Error | undefined;
  readonly done: Promise<void>;
  #resolve!: () => void;

  constructor() {
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }

  onRequestStart(): void {}
  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }
  onResponseData(): void {}
  onResponseEnd(): void {
    this.#resolve();
  }
  onResponseError(_controller: unknown, error: Error): void {
    if (this.isInDispatch) this.wasRejected = true;
    this.error = error;
    this.#resolve();
  }
}

it('a pool that undici refused requests on keeps serving: 40 refused dispatches, then a good one completes', async () => {
  server = createServer((_req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const config = validateConfig({ listen: { https: null, http: { port: 0 } }, coordinators: [{ name: 'c1', host: '127.0.0.1', hs2HttpPort: port }], upstream: { connectionsPerCoordinator: 4 } });
  coordinator = new Coordinator({
    config: config.coordinators[0]!,
    index: 1,
    state: new CoordinatorRegistry(() => 0).obtain('c1'),
    upstream: config.upstream,
    tls: undefined,
    webuiTls: false,
    setCookie: { plain: '', secure: '' },
    logger: silentLogger,
  });

  const refused = Array.from({ length: 40 }, () => new Recorder());
  for (const recorder of refused) coordinator.dispatch({ path: '/cli service', method: 'POST', body: 'x' }, recorder, false);
  const good = new Recorder();
  coordinator.dispatch({ path: '/cliservice', method: 'POST', body: 'x' }, good, false);
  await Promise.race([good.done, new Promise((_, reject) => setTimeout(() => reject(new Error('the good request queued forever: the pool is poisoned')), 5_000))]);
  expect(good.error).toBeUndefined();
  expect(good.status).toBe(200);
  // Each was refused at once, inside dispatch(), as undici does it (with a poisoned pool they would
  // queue instead, waiting for a client that never frees).
  expect(refused.every((recorder) => recorder.wasRejected && (recorder.error as { code?: string }).code === 'UND_ERR_INVALID_ARG')).toBe(true);
});
