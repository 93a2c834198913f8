// The CLI as an operator meets it: real processes, exit codes and messages.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };

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
