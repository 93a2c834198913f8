// The front end's TLS (issue 10, "decide and document"): Node's default cipher list accepted CBC
// suites with SHA-1 MACs on TLS 1.2, and Node lets a client renegotiate a TLS 1.2 connection (3
// times per 10 minutes), each one a full handshake's CPU at the server for no purpose an Impala
// client has. tls.ciphers now defaults to ECDHE with AEAD ciphers (TLS 1.3 suites unchanged), and
// client-initiated renegotiation ends the connection.
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { harnessConfig, startHarness, type Harness } from '../helpers/proxy-harness.ts';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ coordinators: 1 });
});

afterAll(async () => {
  await harness?.close();
});

/** The negotiated cipher, or the error code of a failed handshake. */
function handshake(options: ConnectionOptions): Promise<{ cipher?: string; protocol?: string | null; error?: string }> {
  const { port } = new URL(harness.url);
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), ca: readCert('ca.pem'), ...options }, () => {
      resolve({ cipher: socket.getCipher().name, protocol: socket.getProtocol() });
      socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

const tls12 = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;

describe('front-end cipher suites', () => {
  it.each(['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA', 'ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA384'])('refuses the CBC suite %s on TLS 1.2', async (cipher) => {
    const result = await handshake({ ...tls12, ciphers: cipher });
    expect(result.cipher).toBeUndefined();
    expect(result.error).toMatch(/HANDSHAKE_FAILURE|NO_SHARED_CIPHER|ALERT/);
  });

  it.each(['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305'])('accepts %s on TLS 1.2', async (cipher) => {
    expect(await handshake({ ...tls12, ciphers: cipher })).toEqual({ cipher, protocol: 'TLSv1.2' });
  });

  it('negotiates TLS 1.3 with a default client', async () => {
    expect((await handshake({})).protocol).toBe('TLSv1.3');
  });

  it('tls.ciphers replaces the list (and a reload applies it)', async () => {
    const base = harnessConfig(harness.cluster);
    await harness.proxy.reload(validateConfig({ ...base, tls: { ...base.tls!, ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256' } }));
    expect((await handshake({ ...tls12, ciphers: 'ECDHE-ECDSA-AES128-SHA' })).cipher).toBe('ECDHE-ECDSA-AES128-SHA');
    await harness.proxy.reload(validateConfig(base));
    expect((await handshake({ ...tls12, ciphers: 'ECDHE-ECDSA-AES128-SHA' })).cipher).toBeUndefined();
  });
});

describe('client-initiated renegotiation', () => {
  it('ends the TLS 1.2 connection; other clients are served', async () => {
    const { port } = new URL(harness.url);
    const socket: TLSSocket = await new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: Number(port), ca: readCert('ca.pem'), ...tls12 }, () => resolve(s));
      s.once('error', reject);
    });
    socket.on('error', () => {});
    const outcome = await new Promise<string>((resolve) => {
      socket.once('close', () => resolve('closed'));
      socket.renegotiate({}, (error) => {
        if (error === null) resolve('renegotiated');
      });
    });
    expect(outcome).toBe('closed');

    const client = new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
    try {
      assertSuccess((await client.openSession()).status);
    } finally {
      client.close();
    }
  });
});
