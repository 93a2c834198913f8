// TLS towards coordinators: verification against the CA is on by default, and a coordinator whose
// certificate does not chain to it is a clear 502 and log line, never a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { startProxy, type ProxyInstance } from '../../src/main.ts';
import { startCoordinator, type SimulatedCoordinator } from '../../src/tools/simulator/index.ts';
import { ProtocolVersion, encodeCall } from '../../src/tools/thrift/hs2.ts';
import { certPath } from '../helpers/certs.ts';
import { LogSink } from '../helpers/log-sink.ts';
import { harnessConfig } from '../helpers/proxy-harness.ts';
import { postRaw } from '../helpers/raw-rpc.ts';

describe('TLS bridge', () => {
  let rogue: SimulatedCoordinator;
  let proxy: ProxyInstance;
  const log = new LogSink();

  beforeAll(async () => {
    rogue = await startCoordinator({ name: 'rogue', tls: { certFile: certPath('rogue.pem'), keyFile: certPath('rogue-key.pem') } });
    const config = harnessConfig({ coordinators: [rogue], close: async () => {} });
    proxy = await startProxy(validateConfig({ ...config, health: { intervalMs: 60_000, timeoutMs: 1_000 } }), log.logger);
  });
  afterAll(async () => {
    await proxy?.close();
    await rogue?.close();
  });

  it('answers 502 with a clear log line when the coordinator certificate does not match the CA', async () => {
    const started = Date.now();
    const response = await postRaw(proxy.url('https'), encodeCall('OpenSession', { client_protocol: ProtocolVersion.V6 }));
    expect(response.status).toBe(502);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response.body.toString()).toMatch(/TLS handshake with rogue failed \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/);
    const line = log.access().at(-1)!;
    expect(line).toMatchObject({ status: 502, error: 'UPSTREAM_TLS', coordinator: 'rogue' });
    expect(rogue.counters.rpcs.OpenSession ?? 0).toBe(0);
  });
});
