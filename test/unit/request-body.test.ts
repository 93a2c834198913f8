// readRequestBody / streamRemainingBody against real client sockets (plain HTTP on loopback):
// the body idle timeout of issue 10 item 5, and that it never fires on the client's behalf while
// the consumer holds the body back.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProxyError } from '../../src/errors.ts';
import { IdleWatch } from '../../src/http/idle-watch.ts';
import { readRequestBody, streamRemainingBody } from '../../src/hs2/request-body.ts';

const watches: IdleWatch[] = [];
/** The handler's one sweep for quiet bodies, with `ms` as its limit. */
function idle(ms: number): IdleWatch {
  const watch = new IdleWatch(ms);
  watches.push(watch);
  return watch;
}
afterEach(() => {
  for (const watch of watches.splice(0)) watch.close();
});

let server: Server;
let port: number;
/** Requests as the server receives them, in order. */
const waiting: ((req: IncomingMessage) => void)[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((req) => waiting.shift()?.(req));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** Opens a client connection, sends a POST head, and resolves with the server's IncomingMessage. */
async function post(contentLength: number, firstBytes: Buffer): Promise<{ client: Socket; req: IncomingMessage }> {
  const received = new Promise<IncomingMessage>((resolve) => waiting.push(resolve));
  const client = connect(port, '127.0.0.1');
  sockets.add(client);
  client.on('error', () => {});
  client.write(`POST /cliservice HTTP/1.1\r\nHost: x\r\nContent-Length: ${contentLength}\r\n\r\n`);
  client.write(firstBytes);
  return { client, req: await received };
}

const code = (error: unknown) => (error instanceof ProxyError ? error.code : String(error));

/** Collects a stream, optionally waiting `startAfterMs` before asking for the first byte. */
async function consume(stream: NodeJS.ReadableStream, startAfterMs = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  if (startAfterMs > 0) await new Promise((resolve) => setTimeout(resolve, startAfterMs));
  await pipeline(stream, new Writable({ write: (chunk: Buffer, _encoding, done) => done(void chunks.push(chunk)) }));
  return Buffer.concat(chunks);
}

describe('readRequestBody', () => {
  it('keeps a small body whole', async () => {
    const { req } = await post(5, Buffer.from('hello'));
    const body = await readRequestBody(req, 1024, idle(1000));
    expect(body).toEqual({ prefix: Buffer.from('hello'), isComplete: true });
  });

  it('stops after keepBytes with the request paused', async () => {
    const { client, req } = await post(10_000, Buffer.alloc(3000, 0x61));
    const body = await readRequestBody(req, 1024, idle(1000));
    expect(body.isComplete).toBe(false);
    expect(body.prefix.length).toBeGreaterThan(1024);
    expect(req.isPaused()).toBe(true);
    client.destroy();
  });

  it('fails with CLIENT_TIMEOUT when the client sends no body byte for the idle timeout', async () => {
    const { req } = await post(100, Buffer.from('part'));
    const startedAt = performance.now();
    const error = await readRequestBody(req, 1024, idle(300)).catch((caught: unknown) => caught);
    expect(code(error)).toBe('CLIENT_TIMEOUT');
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290);
  });

  it('does not time out a client that keeps sending, however long the whole body takes', async () => {
    const { client, req } = await post(12, Buffer.from('a'));
    const reading = readRequestBody(req, 1024, idle(300));
    // 11 more bytes, one every 100 ms: 1.1 s in all, never 300 ms without a byte.
    for (let i = 0; i < 11; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      client.write('b');
    }
    expect(await reading).toEqual({ prefix: Buffer.from('abbbbbbbbbbb'), isComplete: true });
  });

  it('fails with CLIENT_ABORTED when the client goes away mid-body', async () => {
    const { client, req } = await post(100, Buffer.from('part'));
    const reading = readRequestBody(req, 1024, idle(5000)).catch((caught: unknown) => caught);
    client.destroy();
    expect(code(await reading)).toBe('CLIENT_ABORTED');
  });
});

describe('streamRemainingBody', () => {
  it('streams prefix then the rest', async () => {
    const { client, req } = await post(4000, Buffer.alloc(2000, 0x61));
    const body = await readRequestBody(req, 1024, idle(1000));
    client.write(Buffer.alloc(4000 - body.prefix.length, 0x62));
    const streamed = await consume(streamRemainingBody(body.prefix, req, idle(1000), 0));
    expect(streamed.length).toBe(4000);
    expect(streamed.subarray(0, 2000)).toEqual(Buffer.alloc(2000, 0x61));
  });

  it('fails with CLIENT_TIMEOUT when the client stalls while the upstream waits for bytes', async () => {
    const { req } = await post(100_000, Buffer.alloc(2000, 0x61));
    const body = await readRequestBody(req, 1024, idle(300));
    const startedAt = performance.now();
    const error = await consume(streamRemainingBody(body.prefix, req, idle(300), 0)).catch((caught: unknown) => caught);
    expect(code(error)).toBe('CLIENT_TIMEOUT');
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290);
  });

  it('times out a client that stalls before the upstream reads (a request queued for a pooled connection)', async () => {
    const { req } = await post(100_000, Buffer.alloc(2000, 0x61));
    const body = await readRequestBody(req, 1024, idle(300));
    const startedAt = performance.now();
    const stream = streamRemainingBody(body.prefix, req, idle(300), 0);
    const error = await new Promise((resolve) => stream.once('error', resolve));
    expect(code(error)).toBe('CLIENT_TIMEOUT');
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290);
  });

  it('does not time out, before the upstream reads, a client that sent its whole body or filled the read-ahead', async () => {
    const whole = await post(3000, Buffer.alloc(2000, 0x61));
    const wholeBody = await readRequestBody(whole.req, 1024, idle(300));
    whole.client.write(Buffer.alloc(3000 - wholeBody.prefix.length, 0x62));
    const full = await post(4 * 1024 * 1024, Buffer.alloc(2000, 0x61));
    const fullBody = await readRequestBody(full.req, 1024, idle(300));
    full.client.write(Buffer.alloc(4 * 1024 * 1024 - fullBody.prefix.length, 0x62));
    const streams = [streamRemainingBody(wholeBody.prefix, whole.req, idle(300), 0), streamRemainingBody(fullBody.prefix, full.req, idle(300), 0)];
    // Nobody reads for 1 s, three idle timeouts; then everything is there.
    const results = await Promise.all(streams.map((stream) => consume(stream, 1000)));
    expect(results.map((result) => result.length)).toEqual([3000, 4 * 1024 * 1024]);
  });

  it('stops the idle clock while the upstream holds the body back (backpressure)', async () => {
    const total = 4 * 1024 * 1024;
    const { client, req } = await post(total, Buffer.alloc(2000, 0x61));
    const body = await readRequestBody(req, 1024, idle(300));
    // A minimum rate too: the time the consumer holds the body back is not the client's either.
    const stream = streamRemainingBody(body.prefix, req, idle(300), 500);
    // The client sends everything at once; the consumer takes one chunk, then nothing for 1 s.
    client.write(Buffer.alloc(total - body.prefix.length, 0x62));
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    stream.pause();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(stream.destroyed).toBe(false);
    const rest = await consume(stream);
    expect(first.length + rest.length).toBe(total);
  });

  /** Writes `bytes` every `everyMs`, `times` times at most; stops when the socket closes. */
  function trickle(client: Socket, bytes: number, everyMs: number, times: number): () => void {
    let left = times;
    const timer = setInterval(() => {
      if (left-- <= 0 || client.destroyed) return clearInterval(timer);
      client.write(Buffer.alloc(bytes, 0x62));
    }, everyMs);
    return () => clearInterval(timer);
  }

  it('fails with CLIENT_TIMEOUT a body never quiet for the idle timeout but slower than requestBodyMinBytesPerSec', async () => {
    const { client, req } = await post(100_000, Buffer.alloc(2000, 0x61));
    const body = await readRequestBody(req, 1024, idle(300));
    const stop = trickle(client, 1, 20, 200); // 50 bytes/s, a byte far more often than every 300 ms
    try {
      const startedAt = performance.now();
      const error = await consume(streamRemainingBody(body.prefix, req, idle(300), 500)).catch((caught: unknown) => caught);
      expect(code(error)).toBe('CLIENT_TIMEOUT');
      expect((error as Error).message).toMatch(/^request body arrives at \d+ bytes\/s, below server.requestBodyMinBytesPerSec 500$/);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290);
    } finally {
      stop();
    }
  });

  it('streams a body that arrives slowly but above requestBodyMinBytesPerSec', async () => {
    const total = 2000 + 40 * 500;
    const { client, req } = await post(total, Buffer.alloc(2000, 0x61));
    const body = await readRequestBody(req, 1024, idle(300));
    const stop = trickle(client, 500, 20, 40); // 25,000 bytes/s for 0.8 s
    try {
      const streamed = await consume(streamRemainingBody(body.prefix, req, idle(300), 500));
      expect(streamed.length).toBe(total);
    } finally {
      stop();
    }
  });

  it('fails with CLIENT_ABORTED when the client goes away mid-body', async () => {
    const { client, req } = await post(100_000, Buffer.alloc(2000, 0x61));
    const body = await readRequestBody(req, 1024, idle(5000));
    const streaming = consume(streamRemainingBody(body.prefix, req, idle(5000), 0)).catch((caught: unknown) => caught);
    client.destroy();
    expect(code(await streaming)).toBe('CLIENT_ABORTED');
  });

  it('holds a failure that comes while nobody listens for errors until a listener comes (no uncaught error)', async () => {
    const { client, req } = await post(100_000, Buffer.alloc(2000, 0x61));
    const body = await readRequestBody(req, 1024, idle(5000));
    const stream = streamRemainingBody(body.prefix, req, idle(5000), 0);
    client.destroy();
    await new Promise((resolve) => req.once('close', resolve));
    expect(stream.destroyed).toBe(false);
    expect(code(await new Promise((resolve) => stream.once('error', resolve)))).toBe('CLIENT_ABORTED');
    expect(stream.destroyed).toBe(true);
  });
});
