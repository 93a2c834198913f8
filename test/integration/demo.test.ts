// `impala-ha-proxy demo --failover` as a new user runs it: the admin URLs it prints work (status
// page, metrics, the curl drain line, the ctl line), and the failover shows on the status page: the
// built-in client's coordinator goes down, then comes back up; the binary HS2 line it prints works.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../../src/status/snapshot.ts';
import { Hs2BinaryClient, assertSuccess } from '../helpers/hs2-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

const cliPath = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

describe('demo --failover', () => {
  let child: ChildProcess | undefined;
  let stdout = '';
  let stderr = '';
  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('prints working admin URLs, and the status page shows the coordinator go down and come back', { timeout: 60_000 }, async () => {
    child = spawn(process.execPath, [cliPath, 'demo', '--port', '0', '--failover', '--failover-timing', '2,6', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const admin = await waitFor(() => /Operate it \(admin listener (http:\/\/127\.0\.0\.1:\d+)\):/.exec(stdout)?.[1], { what: `the admin URL in the demo's output; stderr: ${stderr}`, timeoutMs: 20_000 });
    expect(stdout).toContain(`status page:  ${admin}/status`);
    expect(stdout).toContain(`metrics:      ${admin}/metrics`);
    expect((await fetch(`${admin}/metrics`)).status).toBe(200);
    expect(stdout).not.toContain('4.1-4.4: add --http_cookie_names'); // their default list already holds it

    // The printed ctl line works as printed (its `npx node` is the project's Node; here: this one).
    const ctlLine = /from a shell: npx node (\S+) ctl (--admin \S+) status/.exec(stdout);
    expect(ctlLine).not.toBeNull();
    const table = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [ctlLine![1]!, 'ctl', ...ctlLine![2]!.split(' '), 'status'], { timeout: 20_000 }, (error, out) => (error ? reject(error) : resolve(out))),
    );
    expect(table).toMatch(/^\s*1\s+impalad-1\s+/m);

    // The built-in client's coordinator is stopped at 2 s: down on the status page, HTML and JSON.
    const status = async () => (await (await fetch(`${admin}/status?format=json`)).json()) as StatusSnapshot;
    const down = await waitFor(async () => (await status()).coordinators.find((c) => c.health === 'down'), { what: 'a coordinator down', timeoutMs: 20_000 });
    const page = await (await fetch(`${admin}/status`)).text();
    const row = new RegExp(`<tr data-coordinator="${down.name}">[\\s\\S]*?</tr>`).exec(page)?.[0];
    expect(row).toContain('<span class="badge down" data-field="health">down</span>');
    expect(page).toContain(`impala-ha-proxy — 2/3 available`);
    // …restarted at 6 s, and up again after two good probes.
    await waitFor(async () => (await status()).coordinators.find((c) => c.name === down.name)?.health === 'up', { what: `${down.name} up again`, timeoutMs: 30_000 });
    expect(await (await fetch(`${admin}/status`)).text()).toContain('impala-ha-proxy — 3/3 available');
    expect(stdout).toMatch(/client: \w+ → impalad-\d \(re-pinned from impalad-\d\)/);

    // The binary HS2 line (the TCP front end, the coordinators' TLS passed through) works as printed.
    const tcpLine = /impala-shell --protocol=hs2 --ssl --ca_cert=(\S+) -i 127\.0\.0\.1:(\d+)/.exec(stdout);
    expect(tcpLine).not.toBeNull();
    const binary = new Hs2BinaryClient({ host: '127.0.0.1', port: Number(tcpLine![2]), tls: { ca: readFileSync(tcpLine![1]!), servername: 'localhost' }, reconnect: false });
    try {
      assertSuccess((await binary.openSession()).status);
      expect(String((await binary.query('select 1')).rows[0]![0])).toMatch(/^impalad-\d$/);
    } finally {
      binary.close();
    }

    // The curl drain line, as printed.
    const drainUrl = /curl -s -X POST (\S+\/admin\/coordinators\/2\/drain)/.exec(stdout)?.[1];
    expect(drainUrl).toBe(`${admin}/admin/coordinators/2/drain`);
    expect(await (await fetch(drainUrl!, { method: 'POST' })).json()).toEqual({ coordinator: 'impalad-2', before: 'enabled', after: 'draining' });

    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
