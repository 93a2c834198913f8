// Forged, truncated, oversized and duplicated affinity cookies: the client is re-pinned with a
// fresh cookie, never a 5xx, and the access line says `invalid`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeToken } from '../../src/affinity/token.ts';
import { encodeCall, decodeReply, ProtocolVersion, StatusCode } from '../../src/tools/thrift/hs2.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { postRaw } from '../helpers/raw-rpc.ts';

describe('invalid affinity cookies', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  const valid = () => harness.proxy.coordinators.tokens.tokenFor('coordinator-2')!;
  const cases: Array<[string, () => string]> = [
    ['forged (random token)', () => 'impala.session.id=v1.AAAAAAAAAAAAAAAAAAAAAA'],
    ['signed with an unknown secret', () => `impala.session.id=${makeToken('someone-elses-secret', 'coordinator-1')}`],
    ['truncated', () => `impala.session.id=${valid().slice(0, -3)}`],
    ['oversized', () => `impala.session.id=v1.${'A'.repeat(6000)}`],
    ['duplicated', () => `impala.session.id=${valid()}; impala.session.id=${harness.proxy.coordinators.tokens.tokenFor('coordinator-1')}`],
    ['empty', () => 'impala.session.id='],
    ['garbage bytes', () => 'impala.session.id=%00%ff<script>'],
  ];

  it.each(cases)('%s: re-pinned with a fresh cookie, logged as invalid', async (_name, cookie) => {
    const response = await postRaw(harness.url, encodeCall('OpenSession', { client_protocol: ProtocolVersion.V6 }), { cookie: `other=1; ${cookie()}` });
    expect(response.status).toBe(200);
    expect(decodeReply('OpenSession', response.body).status.statusCode).toBe(StatusCode.SUCCESS);
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? [])[0] ?? '';
    const token = /^impala\.session\.id=([^;]+);/.exec(setCookie)?.[1];
    expect(token).toBeDefined();
    expect(harness.proxy.coordinators.tokens.lookup(token!)?.isCurrent).toBe(true);
    const line = harness.log.access().at(-1)!;
    expect(line.affinity).toBe('invalid');
    expect(line.status).toBe(200);
    // The other cookie still reaches the coordinator; ours never does.
    const served = harness.cluster.coordinators.find((c) => c.name === line.coordinator)!;
    // The newest OpenSession, not the newest request: a health probe may have come in since.
    const seen = served.rpcLog('OpenSession').at(-1)!.headers.cookie;
    expect(seen).toBe('other=1');
  });

  it('re-issues a cookie signed with an older secret, keeping the pin', async () => {
    const old = makeToken('test-secret-0', 'coordinator-3');
    const rotated = await startHarness({ config: { cookie: { secrets: ['test-secret-1', 'test-secret-0'] } } });
    try {
      const response = await postRaw(rotated.url, encodeCall('OpenSession', { client_protocol: ProtocolVersion.V6 }), { cookie: `impala.session.id=${old}` });
      expect(response.status).toBe(200);
      expect(response.headers['set-cookie']?.[0]).toBe(`impala.session.id=${makeToken('test-secret-1', 'coordinator-3')}; Path=/; HttpOnly; Secure; SameSite=Strict`);
      expect(rotated.log.access().at(-1)).toMatchObject({ affinity: 'kept', coordinator: 'coordinator-3' });
    } finally {
      await rotated.close();
    }
  });

  it('answers a body that is not a Thrift call with 400 and never bothers a coordinator', async () => {
    const before = harness.cluster.coordinators.map((c) => c.counters.hs2ConnectionsAccepted);
    const response = await postRaw(harness.url, Buffer.from('this is not thrift'));
    expect(response.status).toBe(400);
    expect(harness.cluster.coordinators.map((c) => c.counters.hs2ConnectionsAccepted)).toEqual(before);
    expect(harness.proxy.coordinators.all.every((c) => c.health === 'up')).toBe(true);
  });

  it('rejects methods hs2-http does not take with 405', async () => {
    const response = await postRaw(harness.url, null, {}, 'GET', '/cliservice');
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('POST, OPTIONS');
  });

  it('never logs cookie values or credentials', () => {
    const text = harness.log.text();
    expect(text).not.toContain(valid());
    expect(text).not.toContain('other=1');
  });
});
