// Regression (issue 10 item 1): request smuggling on /ui/<n> through `Connection: content-length`.
// The hop-by-hop strip deleted every header the Connection header named, Content-Length included,
// so a GET's body was piped unframed onto the web UI keep-alive connection that every user shares,
// and the coordinator parsed it as a second request (24 users on /ui/1/queries: 22 of 5,705 of
// their requests got the smuggled request's response). On POST the same body went out chunked on a
// keep-alive connection, past the chunked→close guard, which looked before the strip.
// A byte-recording tap sits between the proxy and the (plain HTTP) fake web UI, so the test sees
// what the coordinator was sent, not only what it parsed.
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCert } from '../helpers/certs.ts';
import { startFakeWebUi, startWebUiHarness, type FakeWebUi, type WebUiHarness } from '../helpers/fake-webui.ts';
import { startTcpTap, type TcpTap } from '../helpers/tcp-tap.ts';

let ui: FakeWebUi;
let tap: TcpTap;
let harness: WebUiHarness;

beforeAll(async () => {
  ui = await startFakeWebUi({ name: 'coord-a' });
  tap = await startTcpTap(ui.port);
  harness = await startWebUiHarness({ backends: [{ name: 'coord-a', port: tap.port }], webuiTls: false });
});

afterAll(async () => {
  await harness?.close();
  await tap?.close();
  await ui?.close();
});

interface RawReply {
  readonly text: string;
  /** The proxy closed the connection (within the deadline). */
  readonly isClosed: boolean;
}

/**
 * Writes `request` verbatim over TLS and collects what comes back until the proxy closes the
 * connection or `deadlineMs` passes (a keep-alive connection stays open: that is a result too).
 */
function send(request: string, deadlineMs = 3_000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port: harness.port, ca: readCert('ca.pem') }, () => socket.write(request));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), isClosed: false });
    }, deadlineMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), isClosed: true });
    });
  });
}

const smuggled = 'GET /secret HTTP/1.1\r\nHost: x\r\n\r\n';
const everythingSent = () => tap.connections.map((c) => tap.textOf(c)).join('');

describe('Connection cannot remove the framing of a /ui request', () => {
  it.each(['GET', 'HEAD', 'DELETE', 'OPTIONS'])('%s with `Connection: content-length` and a request as its body: 400, closed, the coordinator never sees it', async (method) => {
    const before = ui.requests.length;
    const reply = await send(`${method} /ui/1/echo HTTP/1.1\r\nHost: proxy\r\nConnection: content-length\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`);
    expect(reply.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply.text.match(/HTTP\/1\.1 \d{3}/g)).toHaveLength(1);
    expect(reply.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(reply.isClosed).toBe(true);
    expect(ui.requests.slice(before)).toEqual([]);
    expect(everythingSent()).not.toContain('/secret');
  });

  it('a body on a bodyless method is refused even without the Connection trick', async () => {
    const before = ui.requests.length;
    const reply = await send(`GET /ui/1/echo HTTP/1.1\r\nHost: proxy\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`);
    expect(reply.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply.isClosed).toBe(true);
    expect(ui.requests.slice(before)).toEqual([]);
    expect(everythingSent()).not.toContain('/secret');
  });

  it('Content-Length: 0 on a GET is fine', async () => {
    const reply = await send('GET /ui/1/echo HTTP/1.1\r\nHost: proxy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    expect(reply.text).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('TRACE is refused and never reaches the coordinator', async () => {
    const before = ui.requests.length;
    const reply = await send('TRACE /ui/1/echo HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n');
    expect(reply.text).toMatch(/^HTTP\/1\.1 405 /);
    expect(ui.requests.slice(before)).toEqual([]);
  });

  it('`Connection: host` cannot remove Host', async () => {
    const before = ui.requests.length;
    const reply = await send('GET /ui/1/echo HTTP/1.1\r\nHost: proxy\r\nConnection: host, close\r\n\r\n');
    expect(reply.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(ui.requests.slice(before).map((r) => r.headers.host)).toEqual([`127.0.0.1:${tap.port}`]);
  });

  it('a POST with `Connection: content-length` keeps its Content-Length, or never shares an upstream connection', async () => {
    const before = ui.requests.length;
    const tapsBefore = tap.connections.length;
    const sentBefore = tap.connections.map((c) => c.sent.length);
    const reply = await send(`POST /ui/1/echo HTTP/1.1\r\nHost: proxy\r\nConnection: content-length, close\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`);
    expect(reply.text).toMatch(/^HTTP\/1\.1 200 /);
    const received = ui.requests.slice(before);
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /echo']);
    expect(received[0]!.body).toBe(smuggled);
    // What went over the wire for this request: the new bytes on some upstream connection.
    const wire = tap.connections
      .map((c, i) => Buffer.concat(c.sent.slice(i < tapsBefore ? sentBefore[i] : 0)).toString('latin1'))
      .find((text) => text.startsWith('POST /echo '));
    expect(wire).toBeDefined();
    const head = wire!.slice(0, wire!.indexOf('\r\n\r\n')).toLowerCase();
    if (/\r\ntransfer-encoding: chunked/.test(head)) expect(head).toMatch(/\r\nconnection: close/);
    else expect(head).toContain(`\r\ncontent-length: ${smuggled.length}`);
  });

  it('a well-behaved user on the same proxy still gets its own responses', async () => {
    const reply = await send('GET /ui/1/queries?json HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n');
    expect(reply.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(reply.text).toContain('"coordinator":"coord-a"');
  });
});
