// Regression: Python <= 3.7 clients read our `SameSite=Strict` attribute as a cookie of its own and
// send it back. The proxy drops it, but its fast path (no affinity cookie in the header) forwarded
// the header untouched, so `other=1; SameSite=Strict` reached impalad, which logs a Cookie header
// without a valid impala.auth as a failed cookie authentication.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ProtocolVersion, StatusCode, decodeReply, encodeCall } from '../../src/tools/thrift/hs2.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { postRaw } from '../helpers/raw-rpc.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ coordinators: 1 });
});
afterAll(async () => {
  await harness?.close();
});

const openSession = encodeCall('OpenSession', { client_protocol: ProtocolVersion.V6 });

it.each([
  ['with other cookies', 'other=1; SameSite=Strict', 'other=1'],
  ['alone', 'SameSite=Strict', undefined],
])('the SameSite pseudo-cookie without an affinity cookie (%s) never reaches the coordinator', async (_name, cookie, forwarded) => {
  const response = await postRaw(harness.url, openSession, { cookie });
  expect(response.status).toBe(200);
  expect(decodeReply('OpenSession', response.body).status.statusCode).toBe(StatusCode.SUCCESS);
  expect(harness.cluster.coordinators[0]!.rpcLog('OpenSession').at(-1)!.headers.cookie).toBe(forwarded);
});
