// What a reload changes (src/config/diff.ts).
import { describe, expect, it } from 'vitest';
import { diffConfigs } from '../../src/config/diff.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';

const base: ConfigInput = {
  listen: { https: null, http: { port: 8080 } },
  coordinators: [
    { name: 'a', host: 'a.example.com' },
    { name: 'b', host: 'b.example.com' },
    { name: 'c', host: 'c.example.com' },
  ],
};
const with_ = (overrides: Partial<ConfigInput>) => validateConfig({ ...base, ...overrides });

describe('diffConfigs', () => {
  it('finds nothing between equal configs', () => {
    expect(diffConfigs(with_({}), with_({}))).toEqual({ added: [], removed: [], changed: [], retargeted: [], needsRestart: [] });
  });

  it('names added, removed, changed and retargeted coordinators', () => {
    const next = with_({
      coordinators: [
        { name: 'a', host: 'a.example.com', weight: 3 }, // changed, same address
        { name: 'b', host: 'b2.example.com' }, // changed and retargeted
        { name: 'd', host: 'd.example.com' }, // added; c removed
      ],
    });
    expect(diffConfigs(with_({}), next)).toEqual({ added: ['d'], removed: ['c'], changed: ['a', 'b'], retargeted: ['b'], needsRestart: [] });
  });

  it('a switch to TLS to the coordinators retargets every one (another server as far as health goes)', () => {
    expect(diffConfigs(with_({}), with_({ upstream: { mode: 'tls' } })).retargeted).toEqual(['a', 'b', 'c']);
  });

  it('lists the keys that need a restart', () => {
    const next = with_({ listen: { https: null, http: { port: 8081 } }, sessions: { maxEntries: 10 }, log: { level: 'warn' }, server: { workers: 4 } });
    expect(diffConfigs(with_({}), next).needsRestart).toEqual(['listen', 'sessions', 'server.workers', 'log']);
  });
});
