import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, formatPath, loadConfigFile, validateConfig } from '../../src/config/load.ts';
import { defaultCiphers, type ConfigInput } from '../../src/config/schema.ts';

const tls = { certFile: '/etc/proxy.pem', keyFile: '/etc/proxy-key.pem' };
const minimal = { coordinators: [{ name: 'impalad-1', host: 'impalad-1.example.com' }], tls } satisfies ConfigInput;

/** The problems a config is rejected with; fails the test when it is accepted. */
function problemsOf(input: unknown): readonly string[] {
  try {
    validateConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    return (error as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

function minimalWith(patch: Record<string, unknown>): Record<string, unknown> {
  return { ...minimal, ...patch };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ihp-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validateConfig defaults', () => {
  it('fills every default', () => {
    expect(validateConfig(minimal)).toEqual({
      listen: { https: { host: '0.0.0.0', port: 8443 }, http: null },
      tcp: [],
      tls: { certFile: '/etc/proxy.pem', keyFile: '/etc/proxy-key.pem', requireClientCert: false, minVersion: 'TLSv1.2', ciphers: defaultCiphers },
      coordinators: [{ name: 'impalad-1', host: 'impalad-1.example.com', hs2HttpPort: 28000, hs2Port: 21050, beeswaxPort: 21000, webuiPort: 25000, weight: 1, state: 'enabled', backup: false }],
      upstream: {
        mode: 'plain',
        tls: { rejectUnauthorized: true },
        connectionsPerCoordinator: 16,
        streamingConnectionsPerCoordinator: 4,
        keepAliveTimeoutMs: 30_000,
        connectTimeoutMs: 5_000,
        headersTimeoutMs: 600_000,
        promptRpcTimeoutMs: 60_000,
        rpcTimeoutsMs: {},
        bodyIdleTimeoutMs: 600_000,
        maxReplayBytes: 1_048_576,
        xForwardedFor: 'overwrite',
      },
      cookie: { name: 'impala.session.id', secrets: [], maxAgeSec: null },
      balancer: { policy: 'least-sessions' },
      sessions: { idleTtlMs: 21_600_000, maxEntries: 100_000 },
      health: {
        path: '/healthz',
        intervalMs: 2_000,
        timeoutMs: 1_000,
        rise: 2,
        fall: 3,
        watchQuiescing: false,
        hs2Probe: { enabled: false, path: '/cliservice' },
        failureThreshold: 5,
        failureWindowMs: 10_000,
      },
      webui: { enabled: true, timeoutMs: 60_000, maxSocketsPerCoordinator: 8 },
      admin: { host: '127.0.0.1', port: 9090 },
      server: { tlsHandshakeTimeoutMs: 10_000, requestHeaderTimeoutMs: 10_000, requestBodyIdleTimeoutMs: 30_000, requestBodyMinBytesPerSec: 500, responseDrainTimeoutMs: 60_000, keepAliveTimeoutMs: 6 * 3600_000, shutdownTimeoutMs: 30_000, workers: 1 },
      log: { level: 'info', access: true },
    });
  });

  it('deep-freezes the result', () => {
    const config = validateConfig(minimal);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.listen.https)).toBe(true);
    expect(Object.isFrozen(config.coordinators)).toBe(true);
    expect(Object.isFrozen(config.coordinators[0])).toBe(true);
    expect(Object.isFrozen(config.cookie.secrets)).toBe(true);
    expect(Object.isFrozen(config.upstream.tls)).toBe(true);
    expect(() => {
      (config.coordinators[0] as { hs2Port: number }).hs2Port = 1;
    }).toThrow(TypeError);
  });

  it('does not modify its input', () => {
    const input = structuredClone(minimal);
    validateConfig(input);
    expect(input).toEqual(minimal);
    expect(Object.isFrozen(input)).toBe(false);
  });

  it('enables the plain listener with its defaults from an empty object', () => {
    const config = validateConfig({ coordinators: minimal.coordinators, listen: { https: null, http: {} } });
    expect(config.listen).toEqual({ https: null, http: { host: '0.0.0.0', port: 8080 } });
    expect(config.tls).toBeUndefined();
  });

  it('accepts port 0 for listeners (tests) and admin: null', () => {
    const config = validateConfig(minimalWith({ listen: { https: { port: 0 } }, admin: null }));
    expect(config.listen.https).toEqual({ host: '0.0.0.0', port: 0 });
    expect(config.admin).toBeNull();
  });
});

describe('validateConfig errors name the key path', () => {
  it('rejects an out-of-range coordinator port', () => {
    expect(problemsOf(minimalWith({ coordinators: [minimal.coordinators[0], { name: 'b', host: 'h', hs2Port: 70000 }] }))).toEqual([
      'coordinators[1].hs2Port: Too big: expected number to be <=65535',
    ]);
  });

  it('rejects port 0 for a coordinator', () => {
    expect(problemsOf(minimalWith({ coordinators: [{ name: 'a', host: 'h', webuiPort: 0 }] }))).toEqual([
      'coordinators[0].webuiPort: Too small: expected number to be >=1',
    ]);
  });

  it('rejects unknown keys at every level', () => {
    expect(problemsOf(minimalWith({ coordinators: [{ name: 'a', host: 'h', bogus: 1 }], nope: 2, health: { intervalMS: 5 } }))).toEqual([
      'coordinators[0]: Unrecognized key: "bogus"',
      'health: Unrecognized key: "intervalMS"',
      '(top level): Unrecognized key: "nope"',
    ]);
  });

  it('rejects a wrong type with the path', () => {
    expect(problemsOf(minimalWith({ upstream: { connectTimeoutMs: '5s' } }))).toEqual([
      'upstream.connectTimeoutMs: Invalid input: expected number, received string',
    ]);
  });

  it('rejects an rpcTimeoutsMs key that is not an hs2 method, by its key', () => {
    expect(problemsOf(minimalWith({ upstream: { rpcTimeoutsMs: { GetOperationStatu: 120_000, GetLog: 5_000 } } }))).toEqual([
      'upstream.rpcTimeoutsMs.GetOperationStatu: not an hs2 method (names as in the HS2 IDL, e.g. GetOperationStatus)',
    ]);
  });

  it('rejects an empty coordinator list', () => {
    expect(problemsOf(minimalWith({ coordinators: [] }))).toEqual(['coordinators: at least one coordinator is required']);
  });

  it('rejects a missing coordinator host and a bad name', () => {
    expect(problemsOf(minimalWith({ coordinators: [{ name: 'has space' }] }))).toEqual([
      'coordinators[0].name: must be 1-63 characters of letters, digits, ".", "_" or "-"',
      'coordinators[0].host: Invalid input: expected string, received undefined',
    ]);
  });

  it('rejects duplicate coordinator names, case-insensitively', () => {
    const coordinators = [
      { name: 'impalad-1', host: 'a' },
      { name: 'impalad-2', host: 'b' },
      { name: 'IMPALAD-1', host: 'c' },
    ];
    expect(problemsOf(minimalWith({ coordinators }))).toEqual(['coordinators[2].name: "IMPALAD-1" is already used by coordinators[0]']);
  });

  it('rejects a numeric coordinator name (it would shadow /ui/<n>)', () => {
    expect(problemsOf(minimalWith({ coordinators: [{ name: 'a', host: 'h' }, { name: '12', host: 'h' }] }))).toEqual([
      'coordinators[1].name: must not be a plain number (it would clash with /ui/<n>)',
    ]);
  });

  it('says what changed when a config from before 0.2 gives the hs2-http port as hs2Port', () => {
    expect(problemsOf(minimalWith({ coordinators: [{ name: 'a', host: 'h', hs2Port: 28000 }] }))).toEqual([
      "coordinators[0].hs2Port: 28000 is also its hs2HttpPort; hs2Port is impalad's --hs2_port (binary HS2, default 21050) and the hs2-http port is hs2HttpPort (--hs2_http_port, default 28000)",
    ]);
    expect(validateConfig(minimalWith({ coordinators: [{ name: 'a', host: 'h', hs2HttpPort: 28000, hs2Port: 21050 }] })).coordinators[0]).toMatchObject({ hs2HttpPort: 28000, hs2Port: 21050 });
  });

  it('requires tls when listen.https is set (by default)', () => {
    expect(problemsOf({ coordinators: minimal.coordinators })).toEqual(['tls: required when listen.https is set (certFile and keyFile)']);
  });

  it('requires at least one listener', () => {
    expect(problemsOf(minimalWith({ listen: { https: null } }))).toEqual(['listen: at least one of listen.https, listen.http and tcp is required']);
  });

  it('requires tls.clientCaFile with requireClientCert', () => {
    expect(problemsOf(minimalWith({ tls: { ...tls, requireClientCert: true } }))).toEqual([
      'tls.clientCaFile: required when tls.requireClientCert is true',
    ]);
  });

  it('requires upstream certFile and keyFile together', () => {
    expect(problemsOf(minimalWith({ upstream: { tls: { certFile: '/c.pem' } } }))).toEqual([
      'upstream.tls.keyFile: certFile and keyFile go together (client certificate)',
    ]);
    expect(problemsOf(minimalWith({ upstream: { tls: { keyFile: '/k.pem' } } }))).toEqual([
      'upstream.tls.certFile: certFile and keyFile go together (client certificate)',
    ]);
  });

  it('requires health.timeoutMs < intervalMs', () => {
    expect(problemsOf(minimalWith({ health: { intervalMs: 1_000, timeoutMs: 1_000 } }))).toEqual([
      'health.timeoutMs: must be less than health.intervalMs',
    ]);
    expect(problemsOf(minimalWith({ health: { timeoutMs: 5_000 } }))).toEqual(['health.timeoutMs: must be less than health.intervalMs']);
    expect(validateConfig(minimalWith({ health: { intervalMs: 1_000, timeoutMs: 999 } })).health.timeoutMs).toBe(999);
  });

  it('requires an admin token on a non-loopback address', () => {
    expect(problemsOf(minimalWith({ admin: { host: '0.0.0.0' } }))).toEqual([
      'admin.token: required when the admin listener is bound to a non-loopback address (0.0.0.0)',
    ]);
    expect(problemsOf(minimalWith({ admin: { host: '10.1.2.3' } }))).toEqual([
      'admin.token: required when the admin listener is bound to a non-loopback address (10.1.2.3)',
    ]);
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', 'localhost']) {
      expect(validateConfig(minimalWith({ admin: { host } })).admin?.host).toBe(host);
    }
    expect(validateConfig(minimalWith({ admin: { host: '0.0.0.0', token: 'abc' } })).admin).toEqual({ host: '0.0.0.0', port: 9090, token: 'abc' });
  });

  it('rejects two listeners on one port', () => {
    expect(problemsOf(minimalWith({ listen: { https: { port: 9090 } } }))).toEqual(['admin.port: 9090 is already used by listen.https (0.0.0.0:9090)']);
    expect(problemsOf(minimalWith({ listen: { https: { host: '127.0.0.1', port: 8443 }, http: { host: '127.0.0.1', port: 8443 } } }))).toEqual([
      'listen.http.port: 8443 is already used by listen.https (127.0.0.1:8443)',
    ]);
    // A wildcard address or a host name overlaps with any address on the same port.
    expect(problemsOf(minimalWith({ listen: { https: { host: '::', port: 8443 }, http: { host: '10.0.0.1', port: 8443 } } }))).toHaveLength(1);
    expect(problemsOf(minimalWith({ listen: { https: { host: 'proxy.example.com', port: 8443 }, http: { host: '10.0.0.1', port: 8443 } } }))).toHaveLength(1);
    // Different addresses may share a port; port 0 never conflicts.
    expect(validateConfig(minimalWith({ listen: { https: { host: '127.0.0.1', port: 9090 } }, admin: { host: '127.0.0.2', port: 9090 } })).admin?.port).toBe(9090);
    expect(validateConfig(minimalWith({ listen: { https: { port: 0 }, http: { port: 0 } }, admin: { port: 0 } })).admin?.port).toBe(0);
  });

  it('reports every problem of one kind at once', () => {
    expect(problemsOf(minimalWith({ upstream: { mode: 'udp' }, log: { level: 'loud' }, sessions: { maxEntries: 0 } }))).toEqual([
      'upstream.mode: Invalid option: expected one of "plain"|"tls"',
      'sessions.maxEntries: Too small: expected number to be >=1',
      'log.level: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
    ]);
  });

  it('rejects a non-object config', () => {
    expect(problemsOf(undefined)).toEqual(['(top level): Invalid input: expected object, received undefined']);
    expect(problemsOf([])).toEqual(['(top level): Invalid input: expected object, received array']);
  });

  it('names the source in the message', () => {
    expect(() => validateConfig({}, 'proxy.yaml')).toThrow(/^invalid configuration \(proxy\.yaml\):\n {2}coordinators: /);
  });
});

describe('validateConfig baseDir', () => {
  it('resolves relative paths against baseDir, and against the working directory without one', () => {
    const relative = { ...minimal, tls: { certFile: 'proxy.pem', keyFile: '/etc/proxy-key.pem' } };
    expect(validateConfig(relative, 'test', { baseDir: '/srv/proxy' }).tls?.certFile).toBe('/srv/proxy/proxy.pem');
    expect(validateConfig(relative).tls?.certFile).toBe(join(process.cwd(), 'proxy.pem'));
    expect(validateConfig(relative, 'test', { baseDir: '/srv/proxy' }).tls?.keyFile).toBe('/etc/proxy-key.pem');
  });
});

describe('secrets', () => {
  const variable = 'IHP_CONFIG_TEST_SECRET';
  afterEach(() => {
    delete process.env[variable];
  });

  it('takes an inline secret as it is', () => {
    expect(validateConfig(minimalWith({ cookie: { secrets: ['inline'] } })).cookie.secrets).toEqual(['inline']);
  });

  it('reads { env } and { file } (trimmed), in order', () => {
    process.env[variable] = 'from-env';
    const file = join(dir, 'secret');
    writeFileSync(file, '  from-file\n');
    expect(validateConfig(minimalWith({ cookie: { secrets: [{ env: variable }, { file }, 'third'] } })).cookie.secrets).toEqual([
      'from-env',
      'from-file',
      'third',
    ]);
  });

  it('reports a missing variable, a missing file, an empty file and a bad shape with the key path', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, ' \n');
    const missing = join(dir, 'missing');
    expect(problemsOf(minimalWith({ cookie: { secrets: [{ env: variable }, { file: missing }, { file: empty }, { file: 'x', env: 'y' }, ''] } }))).toEqual([
      `cookie.secrets[0]: environment variable ${variable} is not set or empty`,
      `cookie.secrets[1]: cannot read secret file: ENOENT: no such file or directory, open '${missing}'`,
      `cookie.secrets[2]: file ${empty} is empty`,
      'cookie.secrets[3]: Invalid input',
      'cookie.secrets[4]: Too small: expected string to have >=1 characters',
    ]);
  });

  it('treats an empty variable as not set', () => {
    process.env[variable] = '';
    expect(problemsOf(minimalWith({ admin: { token: { env: variable } } }))).toEqual([`admin.token: environment variable ${variable} is not set or empty`]);
  });

  it('resolves secrets in nested options', () => {
    process.env[variable] = 'pw';
    const config = validateConfig(minimalWith({ health: { basicAuth: { user: 'probe', password: { env: variable } } }, tls: { ...tls, keyPassphrase: { env: variable } } }));
    expect(config.health.basicAuth).toEqual({ user: 'probe', password: 'pw' });
    expect(config.tls?.keyPassphrase).toBe('pw');
    expect(problemsOf(minimalWith({ upstream: { tls: { keyPassphrase: { env: `${variable}_UNSET` } } } }))).toEqual([
      `upstream.tls.keyPassphrase: environment variable ${variable}_UNSET is not set or empty`,
    ]);
  });
});

describe('formatPath', () => {
  it('joins keys with dots and indexes with brackets', () => {
    expect(formatPath(['coordinators', 1, 'hs2Port'])).toBe('coordinators[1].hs2Port');
    expect(formatPath(['cookie', 'secrets', 0])).toBe('cookie.secrets[0]');
    expect(formatPath([])).toBe('');
  });
});

describe('loadConfigFile', () => {
  function write(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('loads a valid YAML file', () => {
    const path = write(
      'valid.yaml',
      [
        'listen:',
        '  https: null',
        '  http: { port: 0 }',
        'coordinators:',
        '  - name: impalad-1',
        '    host: impalad-1.example.com',
        '    weight: 3',
        '  - { name: impalad-2, host: impalad-2.example.com, state: draining }',
        'balancer:',
        '  policy: round-robin',
        '',
      ].join('\n'),
    );
    const config = loadConfigFile(path);
    expect(config.listen.http).toEqual({ host: '0.0.0.0', port: 0 });
    expect(config.coordinators.map((c) => [c.name, c.weight, c.state])).toEqual([
      ['impalad-1', 3, 'enabled'],
      ['impalad-2', 1, 'draining'],
    ]);
    expect(config.balancer.policy).toBe('round-robin');
    expect(Object.isFrozen(config.coordinators[1])).toBe(true);
  });

  it('loads JSON (a YAML subset)', () => {
    const path = write('valid.json', JSON.stringify(minimalWith({ log: { level: 'warn' } })));
    expect(loadConfigFile(path).log.level).toBe('warn');
  });

  it('names the file and the key path of a schema error', () => {
    const path = write('bad-port.yaml', 'listen: { https: null, http: {} }\ncoordinators:\n  - { name: a, host: h }\n  - { name: b, host: h, hs2Port: 70000 }\n');
    expect(() => loadConfigFile(path)).toThrow(ConfigError);
    try {
      loadConfigFile(path);
    } catch (error) {
      expect((error as ConfigError).message).toBe(`invalid configuration (${path}):\n  coordinators[1].hs2Port: Too big: expected number to be <=65535`);
    }
  });

  it('reports bad YAML', () => {
    const path = write('bad.yaml', 'coordinators:\n  - name: a\n   host: [unclosed\n');
    let problems: readonly string[] = [];
    try {
      loadConfigFile(path);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      problems = (error as ConfigError).problems;
    }
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(/^YAML: /);
  });

  it('reports duplicate keys as a YAML error', () => {
    const path = write('duplicate.yaml', 'log:\n  level: info\nlog:\n  level: debug\n');
    expect(() => loadConfigFile(path)).toThrow(/YAML: Map keys must be unique/);
  });

  it('reports a missing file', () => {
    const path = join(dir, 'does-not-exist.yaml');
    expect(() => loadConfigFile(path)).toThrow(ConfigError);
    try {
      loadConfigFile(path);
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([`cannot read file: ENOENT: no such file or directory, open '${path}'`]);
    }
  });

  it('resolves relative file paths against the config file directory, not the working directory', () => {
    const configDir = mkdtempSync(join(dir, 'relative-'));
    writeFileSync(join(configDir, 'cookie-secret'), 'from-beside-the-config\n');
    writeFileSync(join(configDir, 'admin-token'), 'token\n');
    const path = join(configDir, 'proxy.yaml');
    writeFileSync(
      path,
      [
        'tls: { certFile: certs/proxy.pem, keyFile: ./certs/proxy-key.pem, clientCaFile: ../clients-ca.pem, keyPassphrase: { file: cookie-secret } }',
        'coordinators: [{ name: a, host: h }]',
        'upstream: { tls: { caFile: ca.pem, certFile: /abs/client.pem, keyFile: client-key.pem } }',
        'cookie: { secrets: [{ file: cookie-secret }] }',
        'admin: { token: { file: admin-token } }',
        '',
      ].join('\n'),
    );
    const config = loadConfigFile(path);
    expect(config.tls).toMatchObject({
      certFile: join(configDir, 'certs/proxy.pem'),
      keyFile: join(configDir, 'certs/proxy-key.pem'),
      clientCaFile: join(dir, 'clients-ca.pem'),
      keyPassphrase: 'from-beside-the-config',
    });
    expect(config.upstream.tls).toMatchObject({ caFile: join(configDir, 'ca.pem'), certFile: '/abs/client.pem', keyFile: join(configDir, 'client-key.pem') });
    expect(config.cookie.secrets).toEqual(['from-beside-the-config']);
    expect(config.admin?.token).toBe('token');
  });

  it('names the resolved path when a relative secret file is missing', () => {
    const path = write('missing-relative.yaml', 'coordinators: [{ name: a, host: h }]\nlisten: { https: null, http: {} }\ncookie: { secrets: [{ file: nope/secret }] }\n');
    expect(() => loadConfigFile(path)).toThrow(`cookie.secrets[0]: cannot read secret file: ENOENT: no such file or directory, open '${join(dir, 'nope/secret')}'`);
  });

  it('treats an empty file as an empty config', () => {
    const path = write('empty.yaml', '# nothing yet\n');
    expect(() => loadConfigFile(path)).toThrow('coordinators: Invalid input: expected array, received undefined');
  });
});
