// Issue 11, "Failures charged to the wrong coordinator": a 502 after the failure of a request that
// could not be replayed (its body was streamed) was logged and metered against the peer the client
// was re-pinned to. The failure now counts against the coordinator that failed it; the peer only
// appears as the new pin.
import { afterEach, expect, it } from 'vitest';
import { encodeCall } from '../../src/tools/thrift/hs2.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { postRaw } from '../helpers/raw-rpc.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function counterValue(h: Harness, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await h.proxy.metrics.registry.getSingleMetric(name)!.get();
  return metric.values.filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value)).reduce((sum, v) => sum + v.value, 0);
}

it('a streamed request failing on its coordinator is logged and counted against that one, not the new pin', async () => {
  const h = (harness = await startHarness({ config: { upstream: { maxReplayBytes: 1024 } } }));
  const client = new Hs2Client({ url: h.url, tls: { ca: readCert('ca.pem') } });
  const opened = await client.openSession();
  assertSuccess(opened.status);
  const home = String((await client.query('select 1')).rows[0]![0]);
  const cookie = `impala.session.id=${client.cookies.get('impala.session.id')}`;
  await h.cluster.coordinators.find((c) => c.name === home)!.stop();

  // 4 KiB statement: over maxReplayBytes, so it streams and cannot be replayed.
  const body = encodeCall('ExecuteStatement', { sessionHandle: opened.sessionHandle!, statement: `select '${'x'.repeat(4096)}'` });
  const response = await postRaw(h.url, body, { cookie });
  expect(response.status).toBe(502);
  const line = h.log.access().at(-1)!;
  expect(line).toMatchObject({ rpc: 'ExecuteStatement', coordinator: home, status: 502, error: 'UPSTREAM_CONNECT_REFUSED', affinity: 'repinned' });
  expect(line.pinned).toBeDefined();
  expect(line.pinned).not.toBe(home);
  expect(await counterValue(h, 'impala_ha_proxy_upstream_failures_total', { coordinator: home, code: 'UPSTREAM_CONNECT_REFUSED' })).toBe(1);
  expect(await counterValue(h, 'impala_ha_proxy_requests_total', { coordinator: home, status_class: '5xx' })).toBe(1);
  expect(await counterValue(h, 'impala_ha_proxy_requests_total', { coordinator: line.pinned as string })).toBe(0);
  client.close();
});
