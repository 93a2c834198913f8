// `impala-ha-proxy ctl`: the real CLI in a child process against a real proxy's admin API, as an
// operator runs it: the status table and JSON, drain/enable round trips, and every failure as one
// line on stderr with its own exit code. reload goes through a proxy started by the CLI from a
// config file, so the SIGHUP path and POST /admin/reload are the same code.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../../src/status/snapshot.ts';
import { startCluster, type SimulatedCluster } from '../../src/tools/simulator/index.ts';
import { ChildProxy } from '../helpers/child-proxy.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { readCert } from '../helpers/certs.ts';
import { coordinatorTls, harnessConfig, startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

const cliPath = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const token = 'ctl-test-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'ihp-ctl-'));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `impala-ha-proxy ctl …` with only the environment given (none of the caller's IMPALA_HA_PROXY_*). */
function ctl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, 'ctl', ...args], { timeout: 20_000, env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function expectOneErrorLine(run: Run, code: number, pattern: RegExp): void {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  expect(run.stderr.split('\n').filter((line) => line !== '')).toHaveLength(1);
  expect(run.stderr).toMatch(/^impala-ha-proxy ctl: /);
  expect(run.stderr).toMatch(pattern);
}

describe('impala-ha-proxy ctl against a running proxy', () => {
  let harness: Harness;
  let admin: string;
  const withToken = () => ['--admin', admin, '--token', token];

  beforeAll(async () => {
    harness = await startHarness({ config: { admin: { host: '127.0.0.1', port: 0, token } } });
    admin = harness.proxy.adminUrl();
    // Some sessions, so the table has numbers in it.
    const clients = Array.from({ length: 4 }, () => new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } }));
    for (const client of clients) {
      assertSuccess((await client.openSession()).status);
      client.close();
    }
    await waitFor(() => harness.proxy.coordinators.all.every((c) => c.lastProbe !== undefined), { what: 'a probe of each coordinator' });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('status prints a table with one row per coordinator', async () => {
    const run = await ctl(['status', ...withToken()]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^impala-ha-proxy \\S+ at ${admin.replace(/[.]/g, '\\.')} · ready · 3 of 3 coordinators available · config generation 1 · up \\d+s$`));
    const header = lines[2]!;
    expect(header.split(/\s{2,}/).map((h) => h.trim())).toEqual(['#', 'COORDINATOR', 'HEALTH', 'STATE', 'SESSIONS', 'IN FLIGHT', 'REQ/S', 'ERRORS', 'P99', 'SINCE', 'REASON']);
    const snapshot = harness.proxy.status();
    for (const [i, c] of snapshot.coordinators.entries()) {
      const row = lines[3 + i]!.trim().split(/\s+/);
      expect(row.slice(0, 5)).toEqual([String(c.index), c.name, 'up', 'enabled', String(c.sessions)]);
    }
    // The columns line up: every row's coordinator name starts where the header's does.
    const nameAt = header.indexOf('COORDINATOR');
    for (const c of snapshot.coordinators) expect(lines[2 + c.index]!.indexOf(c.name)).toBe(nameAt);
    expect(snapshot.coordinators.reduce((sum, c) => sum + c.sessions, 0)).toBe(4);
  });

  it('status --json prints the admin API JSON', async () => {
    const run = await ctl(['status', '--json', ...withToken()]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as StatusSnapshot;
    expect(json.service).toBe('impala-ha-proxy');
    expect(json.coordinators.map((c) => c.name)).toEqual(harness.cluster.coordinators.map((c) => c.name));
  });

  it('drain by number and enable by name round-trip, visible in status', async () => {
    const name = harness.proxy.coordinators.all[1]!.name;
    const drained = await ctl(['drain', '2', ...withToken()]);
    expect(drained).toEqual({ code: 0, stdout: `${name}: enabled → draining\n`, stderr: '' });
    expect(harness.proxy.coordinators.all[1]!.operatorState).toBe('draining');
    const status = await ctl(['status', ...withToken()]);
    expect(status.stdout).toMatch(new RegExp(`^\\s*2\\s+${name}\\s+up\\s+draining\\s`, 'm'));
    expect(status.stdout).toContain('2 of 3 coordinators available');

    const enabled = await ctl(['enable', name, '--json', ...withToken()]);
    expect(enabled.code).toBe(0);
    expect(JSON.parse(enabled.stdout)).toEqual({ coordinator: name, before: 'draining', after: 'enabled' });
    expect(harness.proxy.coordinators.all[1]!.operatorState).toBe('enabled');
    expect(harness.log.lines.filter((l) => l.event === 'admin' && l.coordinator === name).map((l) => l.action)).toEqual(['drain', 'enable']);
  });

  it('takes the address and token from the environment', async () => {
    const run = await ctl(['disable', '3'], { IMPALA_HA_PROXY_ADMIN: admin, IMPALA_HA_PROXY_ADMIN_TOKEN: token });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/: enabled → disabled\n$/);
    expect((await ctl(['enable', '3'], { IMPALA_HA_PROXY_ADMIN: admin.replace('http://', ''), IMPALA_HA_PROXY_ADMIN_TOKEN: token })).code).toBe(0);
    expect(harness.proxy.coordinators.all[2]!.operatorState).toBe('enabled');
  });

  it('takes them from the proxy config file, without needing its other secrets', async () => {
    const port = Number(new URL(admin).port);
    writeFileSync(join(dir, 'admin-token'), `${token}\n`);
    // The cookie secret's variable is not set in ctl's environment: only admin.* is read.
    const path = join(dir, 'proxy.yaml');
    writeFileSync(path, `coordinators: [{ name: a, host: h }]\ncookie: { secrets: [{ env: IHP_CTL_TEST_UNSET_SECRET }] }\nadmin: { host: 127.0.0.1, port: ${port}, token: { file: admin-token } }\n`);
    const run = await ctl(['status', '--json', '--config', path]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as StatusSnapshot).coordinators).toHaveLength(3);

    // An explicit --config beats the environment.
    const beats = await ctl(['status', '--json', '-c', path], { IMPALA_HA_PROXY_ADMIN: `http://127.0.0.1:${await closedPort()}` });
    expect(beats.code).toBe(0);

    const off = join(dir, 'off.yaml');
    writeFileSync(off, 'coordinators: [{ name: a, host: h }]\nadmin: null\n');
    expectOneErrorLine(await ctl(['status', '--config', off]), 2, /admin listener is off \(admin: null\)/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'admin: { port: 99999, tokn: x }\n');
    expectOneErrorLine(await ctl(['status', '--config', bad]), 2, /admin\.port: Too big.*admin: Unrecognized key: "tokn"|admin: Unrecognized key: "tokn".*admin\.port: Too big/);
  });

  it('401: a wrong token and a missing one, exit code 4', async () => {
    const wrong = await ctl(['status', '--admin', admin, '--token', 'not-the-token']);
    expectOneErrorLine(wrong, 4, /rejected the token from --token \(401\)/);
    expect(wrong.stderr).not.toContain('not-the-token');
    expectOneErrorLine(await ctl(['drain', '1', '--admin', admin]), 4, /requires a token \(401\)/);
    expect(harness.proxy.coordinators.all[0]!.operatorState).toBe('enabled');
  });

  it('an unreachable address: exit code 3, one line', async () => {
    const port = await closedPort();
    expectOneErrorLine(await ctl(['status', '--admin', `http://127.0.0.1:${port}`]), 3, new RegExp(`cannot reach the admin API at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  it('an unknown coordinator: exit code 5', async () => {
    expectOneErrorLine(await ctl(['drain', 'impalad-9', ...withToken()]), 5, /no coordinator "impalad-9"/);
    expectOneErrorLine(await ctl(['enable', '7', ...withToken()]), 5, /no coordinator "7"/);
  });

  it('reload against a proxy with no config file: exit code 7', async () => {
    expectOneErrorLine(await ctl(['reload', ...withToken()]), 7, /reload is not available/);
  });

  it('bad usage: exit code 2; --help documents the exit codes', async () => {
    const cases: [string[], RegExp][] = [
      [[], /a command is required/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['drain'], /needs a coordinator/],
      [['drain', '../x', ...withToken()], /not a coordinator number or name/],
      [['status', '--bogus'], /--bogus/],
      [['status', '--admin', 'ftp://x'], /not an admin address/],
      [['status', '--timeout-ms', 'soon'], /--timeout-ms/],
    ];
    const runs = await Promise.all(cases.map(([args]) => ctl(args)));
    for (const [i, run] of runs.entries()) expectOneErrorLine(run, 2, cases[i]![1]);
    const help = await ctl(['--help']);
    expect(help.code).toBe(0);
    for (const code of ['0 done', '1 unexpected answer', '2 bad usage', '3 admin API unreachable', '4 unauthorized', '5 no such coordinator', '6 reload rejected', '7 reload not available']) {
      expect(help.stdout).toContain(code);
    }
  });
});

describe('impala-ha-proxy ctl reload', () => {
  let cluster: SimulatedCluster;
  let child: ChildProxy | undefined;
  beforeAll(async () => {
    cluster = await startCluster({ count: 2, tls: coordinatorTls });
  });
  afterAll(async () => {
    await child?.stop();
    await cluster?.close();
  });

  it('re-reads the config file of a proxy started by the CLI; a broken file is rejected (exit 6) and the proxy serves on', async () => {
    const [first, second] = cluster.coordinators;
    const one = harnessConfig(cluster, { coordinators: [{ name: first!.name, host: '127.0.0.1', hs2HttpPort: first!.hs2HttpPort, webuiPort: first!.webuiPort }], admin: { host: '127.0.0.1', port: 0, token } });
    child = new ChildProxy(one);
    const url = await child.url('https');
    const admin = await child.url('admin');
    const client = new Hs2Client({ url, tls: { ca: readCert('ca.pem') } });
    assertSuccess((await client.openSession()).status);

    child.writeConfig({ ...one, coordinators: [...one.coordinators!, { name: second!.name, host: '127.0.0.1', hs2HttpPort: second!.hs2HttpPort, webuiPort: second!.webuiPort }] });
    const reloaded = await ctl(['reload', '--admin', admin, '--token', token]);
    expect(reloaded).toEqual({ code: 0, stdout: `config reloaded (generation 2): added ${second!.name}\n`, stderr: '' });

    child.writeConfig({ ...one, coordinators: [{ name: first!.name, host: '127.0.0.1', hs2Port: 99999 }] });
    const rejected = await ctl(['reload', '--admin', admin, '--token', token]);
    expectOneErrorLine(rejected, 6, /reload rejected, the proxy keeps serving its running config: .*coordinators\[0\]\.hs2Port: Too big/);
    const line = await child.waitForLine((l) => l.event === 'reload-rejected', 'the rejection line');
    expect(line.problems).toEqual([expect.stringMatching(/^coordinators\[0\]\.hs2Port: /)]);
    assertSuccess((await client.ping()).status); // same session, still served

    const status = JSON.parse((await ctl(['status', '--json', '--admin', admin, '--token', token])).stdout) as StatusSnapshot;
    expect(status.generation).toBe(2);
    expect(status.coordinators).toHaveLength(2);
    const metrics = await (await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(metrics).toMatch(/^impala_ha_proxy_config_reloads_total\{result="ok"\} 1$/m);
    expect(metrics).toMatch(/^impala_ha_proxy_config_reloads_total\{result="rejected"\} 1$/m);
    expect(metrics).toMatch(/^impala_ha_proxy_admin_actions_total\{action="reload"\} 2$/m);
    client.close();

    child.signal('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});
