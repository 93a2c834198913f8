// ctl's pure parts: where the admin address and token come from, and the status table.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CtlError } from '../../src/ctl/errors.ts';
import { formatAge, renderStatusTable } from '../../src/ctl/status-table.ts';
import { normalizeUrl, resolveTarget } from '../../src/ctl/target.ts';
import type { CoordinatorStatus, StatusSnapshot } from '../../src/status/snapshot.ts';

const dir = mkdtempSync(join(tmpdir(), 'ihp-ctl-unit-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('resolveTarget', () => {
  const env = { IMPALA_HA_PROXY_ADMIN: 'http://10.0.0.5:9191', IMPALA_HA_PROXY_ADMIN_TOKEN: 'from-env' };
  const config = file('proxy.yaml', 'coordinators: [{ name: a, host: h }]\nadmin: { host: 0.0.0.0, port: 9292, token: from-file }\n');

  it('defaults to the admin listener default, without a token', () => {
    expect(resolveTarget({ env: {} })).toEqual({ url: 'http://127.0.0.1:9090', token: undefined, tokenSource: undefined });
  });

  it('takes each value from the first of: flag, --config, environment', () => {
    expect(resolveTarget({ env })).toMatchObject({ url: 'http://10.0.0.5:9191', token: 'from-env', tokenSource: 'IMPALA_HA_PROXY_ADMIN_TOKEN' });
    expect(resolveTarget({ env, configFile: config })).toMatchObject({ url: 'http://127.0.0.1:9292', token: 'from-file' });
    expect(resolveTarget({ env, configFile: config, adminFlag: '127.0.0.1:1', tokenFlag: 'from-flag' })).toMatchObject({ url: 'http://127.0.0.1:1', token: 'from-flag', tokenSource: '--token' });
    // A config file without a token leaves the token to the environment.
    const noToken = file('no-token.yaml', 'admin: { port: 9393 }\n');
    expect(resolveTarget({ env, configFile: noToken })).toMatchObject({ url: 'http://127.0.0.1:9393', token: 'from-env' });
    expect(resolveTarget({ env: { IMPALA_HA_PROXY_ADMIN: '' } }).url).toBe('http://127.0.0.1:9090');
  });

  it('reads the config file\'s admin defaults, IPv6 binds and token files next to it', () => {
    file('token', 'secret-in-file\n');
    expect(resolveTarget({ env: {}, configFile: file('empty.yaml', '') })).toMatchObject({ url: 'http://127.0.0.1:9090', token: undefined });
    expect(resolveTarget({ env: {}, configFile: file('v6.yaml', 'admin: { host: "::", token: { file: token } }\n') })).toMatchObject({ url: 'http://[::1]:9090', token: 'secret-in-file' });
    expect(resolveTarget({ env: {}, configFile: file('v6b.yaml', 'admin: { host: "::1" }\n') }).url).toBe('http://[::1]:9090');
  });

  it('names the key of a bad admin section, and a file it cannot read', () => {
    const problem = (configFile: string) => {
      try {
        resolveTarget({ env: {}, configFile });
      } catch (error) {
        expect(error).toBeInstanceOf(CtlError);
        expect((error as CtlError).exitCode).toBe(2);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(problem(file('bad-port.yaml', 'admin: { port: -1 }\n'))).toMatch(/bad-port\.yaml: admin\.port: Too small/);
    expect(problem(file('bad-env.yaml', 'admin: { token: { env: IHP_UNIT_UNSET } }\n'))).toMatch(/admin\.token: environment variable IHP_UNIT_UNSET is not set/);
    expect(problem(file('yaml.yaml', 'admin: [\n'))).toMatch(/YAML/);
    expect(problem(join(dir, 'missing.yaml'))).toMatch(/cannot read file/);
  });

  it('accepts http(s) URLs and host:port, nothing else', () => {
    expect(normalizeUrl('http://127.0.0.1:9090/')).toBe('http://127.0.0.1:9090');
    expect(normalizeUrl('https://proxy.example.com/admin/')).toBe('https://proxy.example.com/admin');
    expect(normalizeUrl('localhost:9090')).toBe('http://localhost:9090');
    expect(normalizeUrl('[::1]:9090')).toBe('http://[::1]:9090');
    for (const bad of ['ftp://x', 'http://u:p@x', 'http://x/?q=1', 'http://']) expect(() => normalizeUrl(bad)).toThrow(/not an admin address/);
  });
});

describe('renderStatusTable', () => {
  const now = Date.parse('2026-05-01T12:00:00.000Z');
  const coordinator = (index: number, overrides: Partial<CoordinatorStatus> = {}): CoordinatorStatus => ({
    index,
    name: `impalad-${index}`,
    address: `10.0.0.${index}:28000`,
    health: 'up',
    operatorState: 'enabled',
    isQuiescing: false,
    isAvailable: true,
    since: new Date(now - 65_000).toISOString(),
    reason: '2 probes ok',
    sessions: 3,
    inFlight: 0,
    requestsPerSec: 1.5,
    errors: 0,
    p99Ms: 4.25,
    history: { bucketSec: 10, startsAt: new Date(now - 600_000).toISOString(), requestsPerSec: [], errors: [], p99Ms: [] },
    lastCheck: null,
    ui: `/ui/${index}/`,
    ...overrides,
  });
  const snapshot: StatusSnapshot = {
    service: 'impala-ha-proxy',
    version: '1.2.3',
    generatedAt: new Date(now).toISOString(),
    startedAt: new Date(now - 3 * 3600_000 - 12 * 60_000).toISOString(),
    reloadedAt: null,
    generation: 2,
    isReady: true,
    windowSec: 60,
    coordinators: [
      coordinator(1),
      coordinator(2, { health: 'down', isAvailable: false, sessions: 0, requestsPerSec: 0, p99Ms: null, reason: 'connect ECONNREFUSED 10.0.0.2:25000 after 3 failed probes in a row, and then some more text', since: new Date(now - 5_000).toISOString() }),
      coordinator(10, { name: 'a-much-longer-coordinator-name', operatorState: 'draining', isQuiescing: true, isAvailable: false, sessions: 120, inFlight: 7, requestsPerSec: 123.456, errors: 12, p99Ms: 1234.5 }),
    ],
    tcpListeners: [],
  };

  it('renders aligned columns, a summary line and short reasons', () => {
    const text = renderStatusTable(snapshot, 'http://127.0.0.1:9090');
    expect(text).toBe(
      [
        'impala-ha-proxy 1.2.3 at http://127.0.0.1:9090 · ready · 1 of 3 coordinators available · config generation 2 · up 3h12m',
        '',
        ' #  COORDINATOR                     HEALTH  STATE               SESSIONS  IN FLIGHT   REQ/S  ERRORS        P99  SINCE  REASON',
        ' 1  impalad-1                       up      enabled                    3          0    1.50       0     4.3 ms  1m05s  2 probes ok',
        ' 2  impalad-2                       down    enabled                    0          0    0.00       0          -     5s  connect ECONNREFUSED 10.0.0.2:25000 after 3 fai…',
        '10  a-much-longer-coordinator-name  up      draining,quiescing       120          7  123.46      12  1234.5 ms  1m05s  2 probes ok',
        '',
        'REQ/S, ERRORS and P99 cover the last 60 s; SINCE is the last health or operator state change.',
        '',
      ].join('\n'),
    );
  });

  it('lists TCP listeners with their open connections per coordinator', () => {
    const text = renderStatusTable(
      {
        ...snapshot,
        tcpListeners: [
          { name: 'hs2', address: '0.0.0.0:21050', coordinatorPort: 'hs2Port', tls: 'passthrough', policy: 'least-connections', open: 3, byCoordinator: { 'impalad-1': 2, 'impalad-2': 1 } },
          { name: 'beeswax', address: '0.0.0.0:21000', coordinatorPort: 'beeswaxPort', tls: 'none', policy: 'source-ip', open: 0, byCoordinator: {} },
        ],
      },
      'http://x',
    );
    expect(text.split('\n').slice(-4)).toEqual([
      'TCP LISTENERS',
      'hs2      0.0.0.0:21050 → hs2Port, TLS passthrough, least-connections: 3 open (impalad-1 2, impalad-2 1)',
      'beeswax  0.0.0.0:21000 → beeswaxPort, TLS none, source-ip: 0 open',
      '',
    ]);
  });

  it('says NOT READY when no coordinator is available', () => {
    const text = renderStatusTable({ ...snapshot, isReady: false, coordinators: [snapshot.coordinators[1]!] }, 'http://x');
    expect(text.split('\n')[0]).toContain(' · NOT READY · 0 of 1 coordinators available · ');
  });

  it('formats ages with two units at most', () => {
    expect([0, 999, 42_000, 307_000, 3600_000 * 3 + 12 * 60_000 + 59_000, 86_400_000 * 4 + 3 * 3600_000, -5].map(formatAge)).toEqual(['0s', '0s', '42s', '5m07s', '3h12m', '4d03h', '0s']);
  });
});
