// TCP listener TLS modes (issue 13 item 1): passthrough (bytes untouched: the client sees the
// coordinator's certificate), terminate (TLS at the proxy, plain to the coordinator) and bridge
// (TLS at the proxy, re-encrypted to the coordinator and verified against upstream.tls.caFile).
import { X509Certificate } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { Hs2BinaryClient, assertSuccess } from '../helpers/hs2-client.ts';
import { harnessConfig, startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
const clients: Hs2BinaryClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await harness?.close();
  harness = undefined;
});

const fingerprintOf = (name: string) => new X509Certificate(readCert(name)).fingerprint256;

async function throughListener(tls: NonNullable<ConfigInput['tcp']>[number]['tls'], coordinatorTls: boolean): Promise<{ certificate: string; home: string }> {
  const h = (harness = await startHarness({ coordinators: 2, cluster: { hs2TcpTls: coordinatorTls }, config: { tcp: [{ name: 'hs2', host: '127.0.0.1', port: 0, tls }] } }));
  const client = new Hs2BinaryClient({ host: '127.0.0.1', port: h.proxy.tcpListeners[0]!.port, tls: { ca: readCert('ca.pem'), servername: 'localhost' } });
  clients.push(client);
  assertSuccess((await client.openSession()).status);
  const home = String((await client.query('select 1')).rows[0]![0]);
  return { certificate: client.peerCertificate()!.fingerprint256, home };
}

it('passthrough: the client sees the coordinator’s own certificate; the session works', async () => {
  const { certificate, home } = await throughListener('passthrough', true);
  expect(certificate).toBe(fingerprintOf('coordinator.pem'));
  expect(home).toMatch(/^coordinator-/);
});

it('terminate: the client sees the proxy’s certificate; the coordinator speaks plain binary hs2', async () => {
  const { certificate, home } = await throughListener('terminate', false);
  expect(certificate).toBe(fingerprintOf('proxy.pem'));
  expect(harness!.cluster.coordinators.find((c) => c.name === home)!.isHs2TcpTls).toBe(false);
});

it('bridge: the client sees the proxy’s certificate; the proxy re-encrypts and verifies the coordinator', async () => {
  const { certificate, home } = await throughListener('bridge', true);
  expect(certificate).toBe(fingerprintOf('proxy.pem'));
  expect(harness!.cluster.coordinators.find((c) => c.name === home)!.isHs2TcpTls).toBe(true);
});

it('bridge to a coordinator whose certificate does not verify: the connect fails there (UPSTREAM_TLS) and moves on', async () => {
  const h = (harness = await startHarness({ coordinators: 2, cluster: { hs2TcpTls: true }, config: { tcp: [{ name: 'hs2', host: '127.0.0.1', port: 0, tls: 'bridge' }] } }));
  // Expect another name than the coordinators' certificate carries: every verification fails. The
  // health probes (TLS to the web UI) fail the same way, so they are slowed down: on a loaded machine
  // two rounds of them could mark both coordinators down before the client connects (no-coordinator).
  const port = h.proxy.tcpListeners[0]!.port;
  const health = { intervalMs: 60_000, timeoutMs: 5_000, rise: 2, fall: 2 };
  await h.proxy.reload(validateConfig(harnessConfig(h.cluster, { tcp: [{ name: 'hs2', host: '127.0.0.1', port, tls: 'bridge' }], health, upstream: { tls: { caFile: certPath('ca.pem'), servername: 'not-the-coordinator.example' } } })));
  const client = new Hs2BinaryClient({ host: '127.0.0.1', port: h.proxy.tcpListeners[0]!.port, tls: { ca: readCert('ca.pem'), servername: 'localhost' }, reconnect: false });
  clients.push(client);
  await expect(client.openSession()).rejects.toBeDefined();
  const line = await waitFor(() => h.log.access().find((l) => l.event === 'tcp'), { what: 'the tcp access line' });
  expect(line).toMatchObject({ end: 'connect-failed', coordinator: null, error: 'UPSTREAM_TLS' });
  expect(line.failed).toHaveLength(2);
});
