// Regression: a generation whose build failed after its Hs2Handler existed kept the handler's
// IdleWatch timer (and the prober's clients) alive: buildGeneration's catch destroyed only the
// coordinator pools. The web UI part read the upstream TLS files a second time, so a file that
// changed between the two reads (a certificate rotated during a reload) failed it there. It now gets
// the generation's TLS material, and a failed build releases every part it built. The failure is
// forced here (no config makes WebUiProxy throw any more).
import { afterEach, expect, it, vi } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { buildGeneration, type ProcessParts } from '../../src/generation.ts';
import { Hs2Handler } from '../../src/hs2/handler.ts';
import type { SessionMap } from '../../src/hs2/session-map.ts';
import { silentLogger } from '../../src/log.ts';
import { CoordinatorSet } from '../../src/upstream/coordinator-set.ts';
import type { HealthMonitor } from '../../src/upstream/health-monitor.ts';
import { Prober } from '../../src/upstream/prober.ts';
import { CoordinatorRegistry } from '../../src/upstream/registry.ts';

vi.mock('../../src/webui/index.ts', () => ({
  WebUiProxy: class {
    constructor() {
      throw new Error('web UI part failed');
    }
  },
}));

afterEach(() => {
  vi.restoreAllMocks();
});

it('a build that fails after the Hs2Handler exists closes the handler, the prober and the pools', () => {
  const config = validateConfig({ coordinators: [{ name: 'a', host: '127.0.0.1' }], listen: { https: null, http: { host: '127.0.0.1', port: 0 } }, cookie: { secrets: ['s'] }, admin: null });
  const parts: ProcessParts = {
    registry: new CoordinatorRegistry(() => 0),
    sessions: {} as SessionMap,
    monitor: {} as HealthMonitor,
    current: () => {
      throw new Error('not serving');
    },
    finish: () => undefined,
    secrets: (c) => c.cookie.secrets,
    logger: silentLogger,
  };
  const hs2Close = vi.spyOn(Hs2Handler.prototype, 'close');
  const proberClose = vi.spyOn(Prober.prototype, 'close');
  const poolsDestroy = vi.spyOn(CoordinatorSet.prototype, 'destroy');

  expect(() => buildGeneration(config, 1, parts)).toThrow('web UI part failed');
  expect(hs2Close).toHaveBeenCalledOnce();
  expect(proberClose).toHaveBeenCalledOnce();
  expect(poolsDestroy).toHaveBeenCalledOnce();
});
