// Issue 11, "Responses with no outcome": a 405 or 400 answered by the proxy produced no access line
// and no metric. Every request now ends in one Outcome, the proxy's own answers included.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { postRaw } from '../helpers/raw-rpc.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

async function refused(code: string): Promise<number> {
  const metric = await harness.proxy.metrics.registry.getSingleMetric('impala_ha_proxy_refused_requests_total')!.get();
  return metric.values.find((v) => v.labels.code === code)?.value ?? 0;
}

it('a 405 (GET on the hs2 path) gets an access line and a metric', async () => {
  const response = await postRaw(harness.url, null, {}, 'GET', '/cliservice');
  expect(response.status).toBe(405);
  expect(harness.log.access().at(-1)).toMatchObject({ status: 405, error: 'CLIENT_METHOD_NOT_ALLOWED', coordinator: null, affinity: null });
  expect(await refused('CLIENT_METHOD_NOT_ALLOWED')).toBe(1);
});

it('a 400 (a body that is not Thrift) gets an access line and a metric', async () => {
  const response = await postRaw(harness.url, Buffer.from('this is not thrift'));
  expect(response.status).toBe(400);
  expect(harness.log.access().at(-1)).toMatchObject({ status: 400, error: 'CLIENT_BAD_REQUEST', coordinator: null, bytesIn: 18 });
  expect(await refused('CLIENT_BAD_REQUEST')).toBe(1);
});
