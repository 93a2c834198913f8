// A hostile or broken client for the chaos run: the request shapes of issue 10, over real sockets,
// each bounded in time. What the proxy must answer each with is written next to it; `run` reports
// what it actually got, so the chaos test can count every attack whose answer was not the expected one.
import { connect as tcpConnect } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { encodeCall, ProtocolVersion } from '../../src/tools/thrift/hs2.ts';
import { openTls, rawTlsExchange, statusOf } from './raw-tls.ts';
import { TType, bytes, field, i32, strictHeader, string, struct } from './thrift-bytes.ts';

export interface AttackResult {
  readonly attack: string;
  /** The proxy answered as it should (status, or closed the connection where that is the answer). */
  readonly isExpected: boolean;
  readonly detail: string;
}

interface Attack {
  readonly name: string;
  run(port: number, random: () => number): Promise<AttackResult>;
}

const openSession = encodeCall('OpenSession', { client_protocol: ProtocolVersion.V6 });

function head(requestLine: string, body: Buffer, extra = ''): Buffer {
  return Buffer.concat([Buffer.from(`${requestLine}\r\nhost: proxy\r\ncontent-type: application/x-thrift\r\ncontent-length: ${body.length}\r\nconnection: close\r\n${extra}\r\n`), body]);
}

/** One exchange whose expected answer is a status code. */
function statusAttack(name: string, expected: readonly number[], request: (random: () => number) => Buffer): Attack {
  return {
    name,
    async run(port, random) {
      const reply = await rawTlsExchange(port, request(random), 5_000);
      const isExpected = reply.status !== undefined && expected.includes(reply.status);
      return { attack: name, isExpected, detail: reply.isTimedOut ? 'no answer within 5 s' : `status ${reply.status ?? 'none'}` };
    },
  };
}

/** Valid OpenSession message headers followed by bodies that are not one well-formed Thrift message. */
const malformedBodies: readonly Buffer[] = [
  Buffer.concat([strictHeader('OpenSession'), bytes(TType.STRUCT, 0, 1, TType.I32, 0)]), // truncated struct
  Buffer.concat([strictHeader('OpenSession'), bytes(0x7f, 0, 1, 0, 0, 0, 1)]), // unknown type
  Buffer.concat([strictHeader('OpenSession'), struct(field(TType.STRUCT, 1, struct(field(TType.STRING, 1, i32(1 << 30))))) ]), // a string longer than the body
  Buffer.concat([openSession, bytes(1, 2, 3, 4)]), // trailing bytes after a whole call
  Buffer.concat([strictHeader('ExecuteStatement'), struct(field(TType.STRUCT, 1, struct(field(TType.LIST, 9, Buffer.concat([bytes(TType.STRUCT), i32(2_000_000_000)])))))]), // a huge container count
  Buffer.concat([strictHeader('GetInfo'), struct(field(TType.STRUCT, 1, struct(field(TType.STRING, 1, string('x')))))]).subarray(0, 20), // cut short
];

const attacks: readonly Attack[] = [
  statusAttack('OPTIONS *', [400], () => Buffer.from('OPTIONS * HTTP/1.1\r\nhost: proxy\r\nconnection: close\r\n\r\n')),
  statusAttack('POST *', [400], () => head('POST * HTTP/1.1', openSession)),
  statusAttack('POST ftp://', [400], () => head('POST ftp://x/cliservice HTTP/1.1', openSession)),
  statusAttack('malformed Thrift', [400], (random) => head('POST /cliservice HTTP/1.1', malformedBodies[Math.floor(random() * malformedBodies.length)]!)),
  statusAttack('not Thrift', [400], () => head('POST /cliservice HTTP/1.1', Buffer.from('SELECT * FROM everything'))),
  statusAttack('TE with CL', [400], () =>
    Buffer.from('POST /cliservice HTTP/1.1\r\nhost: proxy\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n0\r\n\r\n'),
  ),
  statusAttack('/ui smuggling', [400], () => {
    const smuggled = Buffer.from('GET /ui/1/secret HTTP/1.1\r\nhost: coordinator\r\n\r\n');
    return Buffer.concat([Buffer.from(`GET /ui/1/ HTTP/1.1\r\nhost: proxy\r\nconnection: content-length\r\ncontent-length: ${smuggled.length}\r\n\r\n`), smuggled]);
  }),
  statusAttack('TRACE on /ui', [405, 400], () => Buffer.from('TRACE /ui/1/ HTTP/1.1\r\nhost: proxy\r\nconnection: close\r\n\r\n')),
  statusAttack('header flood', [431], () => Buffer.from(`POST /cliservice HTTP/1.1\r\nhost: proxy\r\nx-big: ${'a'.repeat(20_000)}\r\n${'x-many: 1\r\n'.repeat(1_000)}\r\n`)),
  {
    // Announces a large body, then goes quiet: answered 408 (or closed) after the body idle timeout.
    // Streamed past maxReplayBytes, it cannot be replayed: when its coordinator fails first (the
    // chaos schedule), the answer is that failure (502/503/504). Either way it is cut, soon.
    name: 'slow upload',
    async run(port) {
      const socket = await openTls(port);
      const body = encodeCall('ExecuteStatement', { sessionHandle: { sessionId: { guid: Buffer.alloc(16, 1), secret: Buffer.alloc(16, 2) } }, statement: `select '${'x'.repeat(4096)}'` });
      socket.write(Buffer.concat([Buffer.from(`POST /cliservice HTTP/1.1\r\nhost: proxy\r\ncontent-length: ${body.length}\r\n\r\n`), body.subarray(0, 2048)]));
      const reply = await until(socket, 6_000);
      return { attack: 'slow upload', isExpected: reply.isClosed && (reply.status === undefined || [408, 502, 503, 504].includes(reply.status)), detail: reply.isClosed ? `closed, status ${reply.status ?? 'none'}` : 'still open after 6 s' };
    },
  },
  {
    // A TCP connection that never finishes the TLS handshake: destroyed after tlsHandshakeTimeoutMs.
    name: 'half-open TLS',
    run(port, random) {
      return new Promise((resolve) => {
        const socket = tcpConnect(port, '127.0.0.1');
        const timer = setTimeout(() => {
          socket.destroy();
          resolve({ attack: 'half-open TLS', isExpected: false, detail: 'still open after 6 s' });
        }, 6_000);
        socket.on('error', () => {});
        socket.once('connect', () => {
          if (random() < 0.5) socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])); // half a ClientHello
        });
        socket.once('close', () => {
          clearTimeout(timer);
          resolve({ attack: 'half-open TLS', isExpected: true, detail: 'closed by the proxy' });
        });
      });
    },
  },
];

/** What the proxy sent until it closed the connection, or the deadline. */
function until(socket: TLSSocket, timeoutMs: number): Promise<{ isClosed: boolean; status: number | undefined }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const finish = (isClosed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ isClosed, status: statusOf(Buffer.concat(chunks).toString('latin1')) });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.once('close', () => finish(true));
  });
}

export const attackNames: readonly string[] = attacks.map((attack) => attack.name);

/** Runs random attacks one after another until `isRunning()` turns false. */
export async function runHostileClient(port: number, random: () => number, isRunning: () => boolean, results: AttackResult[]): Promise<void> {
  while (isRunning()) {
    const attack = attacks[Math.floor(random() * attacks.length)]!;
    results.push(await attack.run(port, random));
  }
}
