// Regression (issue 10 item 8): server.requestHeaderTimeoutMs fired late. Node checks request-head
// deadlines on a sweep every connectionsCheckingInterval (30 s by default), so a 10 s limit gave
// 408 after 16-26 s, and a slow client held its socket that much longer. README says the whole
// head must arrive within the limit; the proxy now sweeps every second.
import { connect } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readCert } from '../helpers/certs.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';

const limitMs = 1_500;
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ coordinators: 1, config: { server: { requestHeaderTimeoutMs: limitMs } } });
});

afterAll(async () => {
  await harness?.close();
});

/** Sends half a request head after the TLS handshake; resolves with the reply and how long it took. */
function halfHead(deadlineMs: number): Promise<{ reply: string; elapsedMs: number; isClosed: boolean }> {
  const { port } = new URL(harness.url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let sentAt = 0;
    const socket = connect({ host: '127.0.0.1', port: Number(port), ca: readCert('ca.pem') }, () => {
      socket.write('POST /cliservice HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/x-thrift\r\n');
      sentAt = Date.now();
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ reply: Buffer.concat(chunks).toString('latin1'), elapsedMs: Date.now() - sentAt, isClosed: false });
    }, deadlineMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ reply: Buffer.concat(chunks).toString('latin1'), elapsedMs: Date.now() - sentAt, isClosed: true });
    });
  });
}

it('a client that sends half a request head gets 408 and a closed connection within a second or two of the limit', async () => {
  // Node's sweep would answer up to 30 s late; the bound leaves a loaded 2-core machine 3 s of slack.
  const result = await halfHead(limitMs + 10_000);
  expect(result.isClosed).toBe(true);
  expect(result.reply).toMatch(/^HTTP\/1\.1 408 /);
  expect(result.elapsedMs).toBeGreaterThanOrEqual(limitMs - 100);
  expect(result.elapsedMs).toBeLessThan(limitMs + 3_000);
});
