// Regression (issue 10 item 3): TCP connections that never finish the TLS handshake (nothing sent,
// or half a ClientHello) were never closed. Node's 120 s TLS handshake timeout raised a
// clientError, and the handler wrote a plaintext 400 with socket.end() on a TLS socket whose
// handshake never completed, which never closes it: 150 such sockets stayed in CLOSE-WAIT 20+
// minutes later, and SIGTERM then waited its full grace period. Now such sockets are destroyed,
// the handshake has its own timeout (server.tlsHandshakeTimeoutMs), each one counts in
// tls_errors_total{code="ERR_TLS_HANDSHAKE_TIMEOUT"}, and close() destroys the ones still open.
import { once } from 'node:events';
import { connect as tcpConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** The first bytes a real Node TLS client sends: a whole ClientHello record. */
async function captureClientHello(): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = tlsConnect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'localhost' });
  client.on('error', () => {});
  const [socket] = await accepted;
  const [hello] = (await once(socket, 'data')) as [Buffer];
  client.destroy();
  socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  return hello;
}

interface HalfOpen {
  readonly socket: Socket;
  closedAt: number | undefined;
}

async function openHalfOpen(port: number, count: number, hello: Buffer): Promise<HalfOpen[]> {
  const sockets = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const socket = tcpConnect(port, '127.0.0.1');
      await once(socket, 'connect');
      // Half of them send nothing at all, the others half a ClientHello.
      if (i % 2 === 1) socket.write(hello.subarray(0, Math.floor(hello.length / 2)));
      const entry: HalfOpen = { socket, closedAt: undefined };
      socket.on('error', () => {});
      socket.once('close', () => (entry.closedAt = Date.now()));
      return entry;
    }),
  );
  return sockets;
}

const portOf = (url: string) => Number(new URL(url).port);

describe('connections that never finish the TLS handshake', () => {
  let hello: Buffer;
  beforeAll(async () => {
    hello = await captureClientHello();
  });

  describe('with a short server.tlsHandshakeTimeoutMs', () => {
    const handshakeTimeoutMs = 1_000;
    let harness: Harness;
    beforeAll(async () => {
      harness = await startHarness({ config: { server: { tlsHandshakeTimeoutMs: handshakeTimeoutMs } } });
    });
    afterAll(async () => {
      await harness?.close();
    });

    it('are closed by the proxy within the timeout, counted, and a good client is served meanwhile', async () => {
      const openedAt = Date.now();
      const halfOpen = await openHalfOpen(portOf(harness.url), 20, hello);
      const client = new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
      try {
        assertSuccess((await client.openSession()).status);
      } finally {
        client.close();
      }
      // Generous margin for a loaded 2-core machine; without the fix they stay open for good.
      await waitFor(() => halfOpen.every((entry) => entry.closedAt !== undefined), { timeoutMs: handshakeTimeoutMs + 8_000, what: 'every half-open socket to be closed by the proxy' });
      for (const entry of halfOpen) expect(entry.closedAt! - openedAt).toBeGreaterThanOrEqual(handshakeTimeoutMs - 50);
      const exposition = await harness.proxy.metrics.exposition();
      const timeouts = /impala_ha_proxy_tls_errors_total\{listener="https",code="ERR_TLS_HANDSHAKE_TIMEOUT"\} (\d+)/.exec(exposition);
      expect(Number(timeouts?.[1])).toBe(halfOpen.length);
    });
  });

  describe('at shutdown', () => {
    let harness: Harness;
    beforeAll(async () => {
      // Neither timeout would rescue the close: only destroying the sockets does.
      harness = await startHarness({ config: { server: { tlsHandshakeTimeoutMs: 120_000, shutdownTimeoutMs: 30_000 } } });
    });
    afterAll(async () => {
      await harness?.close();
    });

    it('close() destroys them instead of waiting for its grace period', async () => {
      const halfOpen = await openHalfOpen(portOf(harness.url), 10, hello);
      // The proxy has accepted them all before it is asked to close.
      await waitFor(async () => (await harness.proxy.metrics.exposition()).includes('impala_ha_proxy_client_connections_total{listener="https"} 10'), { what: 'ten accepted connections' });
      const startedAt = Date.now();
      await harness.proxy.close();
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      await waitFor(() => halfOpen.every((entry) => entry.closedAt !== undefined), { what: 'every half-open socket to be closed' });
    });
  });
});
