// Issue 11, "Reload, then freeze": a request in flight across a SIGHUP (same config) was never
// failed over when its coordinator then froze. Each reload built new coordinator objects and
// closed the old generation's health checker, so the failover only reached requests of the new
// generation; this one waited for upstream.headersTimeoutMs (600 s). Requests in flight now live
// on the process-lifetime registry entry, whichever generation sent them.
import { afterEach, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { harnessConfig, startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

it('a request sent before a reload is failed over to a peer when its coordinator freezes after it', async () => {
  const h = (harness = await startHarness());
  const client = new Hs2Client({ url: h.url, tls: { ca: readCert('ca.pem') } });
  assertSuccess((await client.openSession()).status);
  const home = String((await client.query('select 1')).rows[0]![0]);
  const victim = h.cluster.coordinators.find((c) => c.name === home)!;

  victim.stall('ExecuteStatement');
  const reply = client.executeStatement('select 1').then((response) => ({ response, at: performance.now() }));
  await victim.waitForStalled('ExecuteStatement');
  await h.proxy.reload(validateConfig(harnessConfig(h.cluster))); // same config: generation 2
  expect(h.proxy.status().generation).toBe(2);

  victim.freeze();
  await waitFor(() => h.proxy.coordinators.byName(home)!.health === 'down', { what: `${home} marked down`, timeoutMs: 15_000 });
  const downAt = performance.now();
  // Without the fix the reply comes after 600 s; the bound only has to tell "moved" from "hangs".
  const { response, at } = await Promise.race([reply, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the in-flight request was not failed over')), 10_000))]);
  expect(response.status.errorMessage).toMatch(/^Invalid session id: /);
  expect(at).toBeGreaterThanOrEqual(downAt - 50);
  const line = h.log.access().find((l) => l.rpc === 'ExecuteStatement' && l.failed === home)!;
  expect(line).toMatchObject({ affinity: 'repinned', reason: 'failover', error: 'UPSTREAM_DOWN', replays: 1 });
  expect(line.coordinator).not.toBe(home);
  client.close();
  victim.unfreeze();
});
