// Regression (issue 10 item 6): a reload with a bad certificate was half applied, silently. Files
// were read before the swap but not validated: with an invalid PEM or a key that does not match,
// the new generation went live, setSecureContext threw after the swap, nothing was logged, the new
// generation's health checks never started and the old one was never retired (a stopped
// coordinator stayed "up" for 12 s with no traffic). Now all TLS material is read and validated
// before anything is swapped, and a bad reload is rejected whole with one line naming the key.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { startCluster, type SimulatedCluster } from '../../src/tools/simulator/index.ts';
import { ChildProxy } from '../helpers/child-proxy.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { coordinatorTls, harnessConfig, startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

function peerFingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca: readCert('ca.pem') }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('a reload with bad TLS material', () => {
  let harness: Harness;
  let base: ConfigInput;
  let dir: string;
  let garbage: string;
  beforeAll(async () => {
    harness = await startHarness();
    base = harnessConfig(harness.cluster);
    dir = mkdtempSync(join(tmpdir(), 'ihp-bad-tls-'));
    garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
  });
  afterAll(async () => {
    await harness?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, () => ConfigInput, RegExp][] = [
    ['a garbage front certificate', () => ({ ...base, tls: { ...base.tls!, certFile: garbage } }), /^tls\.certFile: /],
    ['a front key that does not match the certificate', () => ({ ...base, tls: { ...base.tls!, keyFile: certPath('coordinator-key.pem') } }), /^tls\.keyFile: key does not match tls\.certFile/],
    ['a garbage upstream CA', () => ({ ...base, upstream: { ...base.upstream, tls: { caFile: garbage } } }), /^upstream\.tls\.caFile: /],
    ['a garbage client CA', () => ({ ...base, tls: { ...base.tls!, clientCaFile: garbage } }), /^tls\.clientCaFile: /],
  ];

  it.each(cases)('%s is rejected with one reload-rejected line naming the key; the old config keeps serving', async (_, broken, message) => {
    const rejectedBefore = harness.log.lines.filter((l) => l.event === 'reload-rejected').length;
    const generation = harness.proxy.status().generation;
    const error = await harness.proxy.reload(validateConfig(broken())).then(() => undefined, (reason: unknown) => reason as Error);
    expect(error?.message).toMatch(message);
    const rejected = harness.log.lines.filter((l) => l.event === 'reload-rejected').slice(rejectedBefore);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.msg).toContain(error!.message);
    expect(harness.proxy.status().generation).toBe(generation);
    expect(await peerFingerprint(harness.url)).toBe(new X509Certificate(readCert('proxy.pem')).fingerprint256);
    const client = new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
    try {
      assertSuccess((await client.openSession()).status);
    } finally {
      client.close();
    }
  });

  it("after a rejected reload the running generation's health checks still run", async () => {
    await expect(harness.proxy.reload(validateConfig({ ...base, tls: { ...base.tls!, keyFile: certPath('coordinator-key.pem') } }))).rejects.toThrow();
    const [sim] = harness.cluster.coordinators;
    sim!.setHealthy(false);
    try {
      await waitFor(() => harness.proxy.coordinators.byName(sim!.name)?.health === 'down', { what: `${sim!.name} to be marked down` });
    } finally {
      sim!.setHealthy(true);
    }
    await waitFor(() => harness.proxy.coordinators.byName(sim!.name)?.health === 'up', { what: `${sim!.name} to be up again` });
  });

  it('a good reload after the rejected ones still applies', async () => {
    const summary = await harness.proxy.reload(validateConfig(base));
    expect(summary.generation).toBe(2);
  });
});

describe('SIGHUP with a key that does not match (the real CLI)', () => {
  let cluster: SimulatedCluster;
  let child: ChildProxy | undefined;
  beforeAll(async () => {
    cluster = await startCluster({ count: 1, tls: coordinatorTls });
  });
  afterAll(async () => {
    await child?.stop();
    await cluster?.close();
  });

  it('logs one reload-rejected line naming tls.keyFile and keeps serving the old certificate', async () => {
    const config = harnessConfig(cluster);
    child = new ChildProxy(config);
    const url = await child.url('https');
    child.writeConfig({ ...config, tls: { ...config.tls!, keyFile: certPath('coordinator-key.pem') } });
    child.signal('SIGHUP');
    const rejected = await child.waitForLine((l) => l.event === 'reload-rejected', 'the rejection line');
    expect(rejected.msg).toMatch(/tls\.keyFile: key does not match tls\.certFile/);
    expect(await peerFingerprint(url)).toBe(new X509Certificate(readCert('proxy.pem')).fingerprint256);
    const client = new Hs2Client({ url, tls: { ca: readCert('ca.pem') } });
    try {
      assertSuccess((await client.openSession()).status);
    } finally {
      client.close();
    }
    child.signal('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines.filter((l) => l.event === 'reload-rejected')).toHaveLength(1);
    expect(child.lines.filter((l) => l.event === 'reload')).toHaveLength(0);
  });
});
