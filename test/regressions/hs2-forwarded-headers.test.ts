// Regression: the hs2 path passed a client's own X-Forwarded-Host and RFC 7239 Forwarded through to
// the coordinator, where the web UI path (webui-forwarded-headers.test.ts) already dropped them.
// impalad reads neither today, but a forwarding claim a client can forge is believed by the next hop
// that reads it. X-Forwarded-For (overwrite) and X-Forwarded-Proto stay the proxy's own.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ProtocolVersion, encodeCall } from '../../src/tools/thrift/hs2.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { postRaw } from '../helpers/raw-rpc.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ coordinators: 1 });
});
afterAll(async () => {
  await harness?.close();
});

it("a client's X-Forwarded-Host and Forwarded never reach the coordinator", async () => {
  const response = await postRaw(harness.url, encodeCall('OpenSession', { client_protocol: ProtocolVersion.V6 }), {
    'x-forwarded-host': 'evil.example',
    forwarded: 'for=6.6.6.6;host=evil.example;proto=http',
    'x-forwarded-for': '6.6.6.6',
  });
  expect(response.status).toBe(200);
  const seen = harness.cluster.coordinators[0]!.rpcLog('OpenSession').at(-1)!.headers;
  expect(seen['x-forwarded-host']).toBeUndefined();
  expect(seen.forwarded).toBeUndefined();
  expect(seen['x-forwarded-for']).toBe('127.0.0.1');
  expect(seen['x-forwarded-proto']).toBe('https');
});
