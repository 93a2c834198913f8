// Keeps README "Migrating from HAProxy" and examples/haproxy-migration.yaml together: the example
// must pass the real `--check-config` (certificates read, key matched, ports free of conflicts), and
// every key the README's tables name must be set in it, to the value the table shows where it shows
// one. A row that names a key the file lacks, or a value it does not have, fails here.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { certPath } from '../helpers/certs.ts';

const run = promisify(execFile);
const examplePath = fileURLToPath(new URL('../../examples/haproxy-migration.yaml', import.meta.url));
const readmePath = fileURLToPath(new URL('../../README.md', import.meta.url));
const cliPath = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const exampleText = readFileSync(examplePath, 'utf8');
const secrets = { IMPALA_HA_PROXY_COOKIE_SECRET: 'migration-test-secret', IMPALA_HA_PROXY_ADMIN_TOKEN: 'migration-test-token' };

/** The lines of Impala's sample haproxy.cfg (docs/topics/impala_proxy.xml) the first table must map. */
const sampleLines = [
  'log 127.0.0.1 local0',
  'maxconn 4000',
  'mode http',
  'option httplog',
  'option dontlognull',
  'option http-server-close',
  'option forwardfor except 127.0.0.0/8',
  'option redispatch',
  'retries 3',
  'timeout connect 5000',
  'timeout client 3600s',
  'timeout server 3600s',
  'listen stats :25002',
  'stats enable',
  'stats auth <username>:<password>',
  'listen impala :25003',
  'mode tcp',
  'option tcplog',
  'balance leastconn',
  'server symbolic_name_1 impala-host-1.example.com:21000 check',
  'listen impalajdbc :21051',
  'balance source',
  'server symbolic_name_5 impala-host-1.example.com:21050 check',
];

interface Row {
  readonly line: number;
  readonly haproxy: string;
  readonly target: string;
}

/** Body rows of every table in the README's "Migrating from HAProxy" section. */
function migrationRows(readme: string): Row[] {
  const lines = readme.split('\n');
  const start = lines.indexOf('## Migrating from HAProxy');
  expect(start, 'README has a "## Migrating from HAProxy" section').toBeGreaterThanOrEqual(0);
  const rows: Row[] = [];
  for (let i = start + 1; i < lines.length && !lines[i]!.startsWith('## '); i++) {
    const text = lines[i]!;
    if (!text.startsWith('|')) continue;
    const cells = text.slice(1, -1).split('|').map((cell) => cell.trim());
    expect(cells, `README.md:${i + 1} has three cells`).toHaveLength(3);
    const [haproxy, target] = cells as [string, string, string];
    if (/^-+$/.test(haproxy) || haproxy === 'HAProxy (Impala\'s sample)' || haproxy === 'HAProxy') continue;
    rows.push({ line: i + 1, haproxy, target });
  }
  return rows;
}

/** `a.b[0].c` → the value at that path, or undefined. */
function lookUp(config: unknown, path: string): unknown {
  let value: unknown = config;
  for (const [, key, index] of path.matchAll(/([A-Za-z][A-Za-z0-9]*)(?:\[(\d+)\])?/g)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key!];
    if (index !== undefined) value = Array.isArray(value) ? value[Number(index)] : undefined;
  }
  return value;
}

const keyPattern = /^([A-Za-z][A-Za-z0-9]*(?:\[\d+\])?(?:\.[A-Za-z][A-Za-z0-9]*(?:\[\d+\])?)*)(?:: (.+))?$/;
/** What the impala-ha-proxy column may say besides keys: nothing, or one of these, first. */
const wordings = ['not needed', 'built in', 'no equivalent'];

/** The problems of one row's impala-ha-proxy cell against the config; [] when it is right. */
function checkRow(row: Row, config: Config): string[] {
  const where = `README.md:${row.line} (${row.haproxy})`;
  const spans = [...row.target.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
  const prose = row.target.replace(/`[^`]+`/g, '').replace(/[,:\s]+/g, ' ').trim();
  const problems: string[] = [];
  if (prose !== '' && !wordings.includes(prose)) problems.push(`${where}: "${prose}" is neither a key nor one of ${wordings.join(', ')}`);
  if (spans.length === 0 && prose === '') problems.push(`${where}: names no key`);
  for (const span of spans) {
    const match = keyPattern.exec(span);
    if (match === null) {
      problems.push(`${where}: \`${span}\` is not a config key (key or key: value)`);
      continue;
    }
    const [, path, expected] = match as unknown as [string, string, string | undefined];
    const actual = lookUp(config, path);
    if (actual === undefined) problems.push(`${where}: ${path} is not set in examples/haproxy-migration.yaml`);
    else if (expected !== undefined && String(actual) !== expected) problems.push(`${where}: ${path} is ${JSON.stringify(actual)} in the example, the README says ${expected}`);
  }
  return problems;
}

const saved = new Map<string, string | undefined>();
const scratch = mkdtempSync(join(tmpdir(), 'ihp-migration-'));
beforeAll(() => {
  for (const [name, value] of Object.entries(secrets)) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('examples/haproxy-migration.yaml', () => {
  it('is a valid config: three coordinators, hs2-http and both TCP front ends of Impala\'s sample', () => {
    const config = validateConfig(parseDocument(exampleText).toJS(), examplePath, { baseDir: dirname(examplePath) });
    expect(config.coordinators.map((c) => c.name)).toEqual(['impalad-1', 'impalad-2', 'impalad-3']);
    expect(config.listen.https).not.toBeNull();
    expect(config.tcp.map((l) => [l.name, l.port, l.coordinatorPort, l.policy])).toEqual([
      ['impala', 25003, 'beeswaxPort', 'least-connections'],
      ['impalajdbc', 21051, 'hs2Port', 'source-ip'],
    ]);
  });

  it('passes the real --check-config, with its certificate paths pointed at the test PKI', async () => {
    const document = parseDocument(exampleText);
    // The only files it names; a new one would fail the check below until it is mapped here too.
    const files: [readonly string[], string][] = [
      [['tls', 'certFile'], certPath('proxy.pem')],
      [['tls', 'keyFile'], certPath('proxy-key.pem')],
      [['upstream', 'tls', 'caFile'], certPath('ca.pem')],
    ];
    for (const [path, file] of files) {
      expect(document.getIn(path), path.join('.')).toMatch(/^\/etc\/impala-ha-proxy\//);
      document.setIn(path, file);
    }
    const copy = join(scratch, 'haproxy-migration.yaml');
    writeFileSync(copy, document.toString());
    const result = await run(process.execPath, [cliPath, '--config', copy, '--check-config'], { timeout: 15_000, env: { ...process.env, ...secrets } }).catch(
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`${copy}: valid (3 coordinators: impalad-1, impalad-2, impalad-3)\n`);
  });
});

describe('README "Migrating from HAProxy"', () => {
  const rows = migrationRows(readFileSync(readmePath, 'utf8'));
  const config = () => validateConfig(parseDocument(exampleText).toJS(), examplePath, { baseDir: dirname(examplePath) });

  it('maps every line of the sample haproxy.cfg', () => {
    expect(rows.length).toBeGreaterThan(30);
    const mapped = rows.map((row) => row.haproxy);
    const missing = sampleLines.filter((line) => !mapped.some((cell) => cell.includes(`\`${line}\``)));
    expect(missing).toEqual([]);
  });

  it('names, in each row, only keys that examples/haproxy-migration.yaml sets, with the values it has', () => {
    const loaded = config();
    expect(rows.flatMap((row) => checkRow(row, loaded))).toEqual([]);
  });

  it('would notice a key or value the example does not have', () => {
    const loaded = config();
    const row = (target: string): Row => ({ line: 0, haproxy: 'test', target });
    expect(checkRow(row('`tcp[1].policy: least-connections`'), loaded)).toHaveLength(1);
    expect(checkRow(row('`tcp[2].port`'), loaded)).toHaveLength(1);
    expect(checkRow(row('`upstream.tls.certFile`'), loaded)).toHaveLength(1);
    expect(checkRow(row('built in, see `tcp[0].policy`'), loaded)).toHaveLength(1);
    expect(checkRow(row('`tcp[1].policy: source-ip`, `health.rise: 2`'), loaded)).toEqual([]);
  });
});
