// The CLI as an operator meets it: real processes, exit codes and messages.
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { certPath, readCert } from '../helpers/certs.ts';

const run = promisify(execFile);
const source = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const built = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ihp-cli-'));

async function cli(args: string[], entry = source): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [entry, ...args], { timeout: 15_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function configFile(name: string, yaml: string): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

describe('impala-ha-proxy CLI', () => {
  it('prints help and version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--check-config');
    expect(help.stdout).toContain('impala-ha-proxy demo');
    expect((await cli(['--version'])).stdout.trim()).toBe(packageJson.version);
  });

  it('the built bin (dist/, what npm installs) runs', async () => {
    const result = await cli(['--version'], built);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(packageJson.version);
  });

  it('the built bin runs through its shebang, as an installed command does (node flags included)', async () => {
    const shebang = readFileSync(built, 'utf8').split('\n', 1)[0]!;
    expect(shebang).toMatch(/^#!\/usr\/bin\/env -S node --max-semi-space-size=\d+$/);
    // What the kernel runs for `#!/usr/bin/env -S …`, with this Node first on PATH.
    const path = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
    const { stdout } = await run('/usr/bin/env', [shebang.slice('#!/usr/bin/env '.length), built, '--version'], { timeout: 15_000, env: { ...process.env, PATH: path } });
    expect(stdout.trim()).toBe(packageJson.version);
  });

  it('bad usage of any command is one line on stderr and exit code 2, not a stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['simulate', '--hs2-base-port', '21050'], /^impala-ha-proxy simulate: Unknown option '--hs2-base-port' \(see: impala-ha-proxy simulate --help\)\n$/],
      [['simulate', '--coordinators', '0'], /^impala-ha-proxy simulate: --coordinators: expected 1\.\.64, got 0 /],
      [['demo', '--bogus'], /^impala-ha-proxy demo: Unknown option '--bogus' /],
      [['demo', '--port', 'x'], /^impala-ha-proxy demo: --port: not a port: x /],
      [['--config', 'proxy.yaml', '--log-level', 'loud'], /^impala-ha-proxy: --log-level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"\n$/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
    }
  });

  it('rejects a bad config with exit code 2 and a message naming the key, without starting', async () => {
    const path = configFile('bad.yaml', 'coordinators:\n  - { name: a, host: h1 }\n  - { name: b, host: h2, hs2Port: 70000 }\nupstream: { mode: bridge }\nlisten: { http: { port: 8080 }, https: null }\n');
    const result = await cli(['--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('coordinators[1].hs2Port: Too big: expected number to be <=65535');
    expect(result.stderr).toMatch(/upstream\.mode: Invalid option: expected one of "plain"\|"tls"/);
    expect(result.stdout).toBe('');
  });

  it('names unknown keys and YAML errors', async () => {
    const unknown = await cli(['--config', configFile('unknown.yaml', 'coordinators: [{ name: a, host: h }]\nlisten: { http: { port: 1 }, https: null }\nhealth: { intervalMS: 5 }\n')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/health: Unrecognized key: "intervalMS"/);
    const yaml = await cli(['--config', configFile('broken.yaml', 'coordinators: [\n')]);
    expect(yaml.code).toBe(2);
    expect(yaml.stderr).toContain('YAML');
    const missing = await cli(['--config', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read file');
  });

  it('--check-config validates and exits 0', async () => {
    const path = configFile('good.yaml', 'coordinators: [{ name: impalad-1, host: 127.0.0.1 }]\nlisten: { http: { host: 127.0.0.1, port: 0 }, https: null }\n');
    const result = await cli(['--config', path, '--check-config']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('valid (1 coordinators: impalad-1)');
  });

  it('refuses unknown options and commands with exit code 2', async () => {
    expect((await cli(['--frobnicate'])).code).toBe(2);
    expect((await cli(['launch'])).code).toBe(2);
    expect((await cli([])).stderr).toContain('--config FILE is required');
  });
});

describe('--check-config checks what start-up would trip on (issue 10 item 7)', () => {
  const tlsConfig = (tls: string, extra = '') => `coordinators: [{ name: impalad-1, host: 127.0.0.1 }]\nlisten: { https: { host: 127.0.0.1, port: 0 } }\ntls: ${tls}\nadmin: null\n${extra}`;
  const front = (overrides: Record<string, string> = {}) => {
    const fields = { certFile: certPath('proxy.pem'), keyFile: certPath('proxy-key.pem'), ...overrides };
    return `{ ${Object.entries(fields).map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(', ')} }`;
  };
  const garbage = configFile('garbage.pem', '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
  const encryptedKey = configFile('encrypted-key.pem', createPrivateKey(readCert('proxy-key.pem')).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'right' }) as string);

  const cases: [string, string, RegExp][] = [
    ['a missing certificate file', tlsConfig(front({ certFile: join(dir, 'nope.pem') })), /tls\.certFile: cannot read .*nope\.pem: no such file/],
    ['a garbage certificate', tlsConfig(front({ certFile: garbage })), /tls\.certFile: certificate 1 in .*garbage\.pem does not parse/],
    ['a directory as certificate', tlsConfig(front({ certFile: dir })), /tls\.certFile: cannot read .*: it is a directory/],
    ['a key that does not match', tlsConfig(front({ keyFile: certPath('coordinator-key.pem') })), /tls\.keyFile: key does not match tls\.certFile/],
    ['a wrong passphrase', tlsConfig(front({ keyFile: encryptedKey, keyPassphrase: 'wrong' })), /tls\.keyPassphrase: wrong passphrase for .*encrypted-key\.pem/],
    ['a missing passphrase', tlsConfig(front({ keyFile: encryptedKey })), /tls\.keyPassphrase: .*encrypted-key\.pem \(tls\.keyFile\) is encrypted: a passphrase is required/],
    ['a missing client CA file', tlsConfig(front({ clientCaFile: join(dir, 'no-ca.pem') })), /tls\.clientCaFile: cannot read .*no-ca\.pem: no such file/],
    ['a missing upstream CA file', tlsConfig(front(), `upstream: { mode: tls, tls: { caFile: ${JSON.stringify(join(dir, 'no-upstream-ca.pem'))} } }\n`), /upstream\.tls\.caFile: cannot read .*no-upstream-ca\.pem: no such file/],
    ['http and admin on one port', 'coordinators: [{ name: a, host: h }]\nlisten: { https: null, http: { host: 0.0.0.0, port: 8080 } }\nadmin: { host: 127.0.0.1, port: 8080 }\n', /admin\.port: 8080 is already used by listen\.http \(0\.0\.0\.0:8080\)/],
    ['http and https on one host:port', `coordinators: [{ name: a, host: h }]\nlisten: { https: { host: 127.0.0.1, port: 8443 }, http: { host: 127.0.0.1, port: 8443 } }\ntls: ${front()}\nadmin: null\n`, /listen\.http\.port: 8443 is already used by listen\.https \(127\.0\.0\.1:8443\)/],
  ];

  it.each(cases)('%s: exit 2 naming the key', async (_, yaml, message) => {
    const path = configFile(`check-${Math.random().toString(36).slice(2)}.yaml`, yaml);
    for (const args of [['--config', path, '--check-config'], ['--config', path]]) {
      const result = await cli(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(result.stdout).toBe('');
    }
  });

  it('a good TLS config with a passphrase-protected key is valid', async () => {
    const path = configFile('good-tls.yaml', tlsConfig(front({ keyFile: encryptedKey, keyPassphrase: 'right' })));
    const result = await cli(['--config', path, '--check-config']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('two listeners on different addresses may share a port', async () => {
    const path = configFile('two-addresses.yaml', 'coordinators: [{ name: a, host: h }]\nlisten: { https: null, http: { host: 127.0.0.1, port: 8080 } }\nadmin: { host: 127.0.0.2, port: 8080 }\n');
    expect((await cli(['--config', path, '--check-config'])).code).toBe(0);
  });
});

describe('a port taken by another process at start (issue 10 item 7)', () => {
  let blocker: Server;
  let port: number;
  beforeAll(async () => {
    blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    port = (blocker.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => blocker?.close(resolve));
  });

  it.each([
    ['listen.http', () => `listen: { https: null, http: { host: 127.0.0.1, port: ${port} } }\nadmin: null\n`],
    ['admin', () => `listen: { https: null, http: { host: 127.0.0.1, port: 0 } }\nadmin: { host: 127.0.0.1, port: ${port} }\n`],
  ])('%s: one line naming the listener, exit 1, no stack trace', async (name, yaml) => {
    const path = configFile(`taken-${name}.yaml`, `coordinators: [{ name: a, host: 127.0.0.1 }]\ncookie: { secrets: [s] }\nlog: { level: silent }\n${yaml()}`);
    const result = await cli(['--config', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`impala-ha-proxy: ${name} 127.0.0.1:${port}: address already in use\n`);
  });
});

describe('relative paths in the config (issue 12 item 9)', () => {
  it('resolve against the config file directory, whatever directory the proxy starts from', async () => {
    const configDir = mkdtempSync(join(dir, 'relative-'));
    mkdirSync(join(configDir, 'certs'));
    copyFileSync(certPath('proxy.pem'), join(configDir, 'certs', 'proxy.pem'));
    copyFileSync(certPath('proxy-key.pem'), join(configDir, 'certs', 'proxy-key.pem'));
    writeFileSync(join(configDir, 'cookie-secret'), 'relative-secret\n');
    const path = join(configDir, 'proxy.yaml');
    writeFileSync(path, 'coordinators: [{ name: impalad-1, host: 127.0.0.1 }]\nlisten: { https: { host: 127.0.0.1, port: 0 } }\ntls: { certFile: certs/proxy.pem, keyFile: certs/proxy-key.pem }\ncookie: { secrets: [{ file: cookie-secret }] }\nadmin: null\n');
    expect(process.cwd()).not.toBe(configDir);
    const result = await cli(['--config', path, '--check-config']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
