import { describe, expect, it } from 'vitest';
import { seededRandom } from '../helpers/seeded-random.ts';
import { readOpenSessionReply, readReplyStatusCode, sniffRequest, unknownRequest } from '../../src/hs2/sniff.ts';
import { MessageType, TType, ThriftCursor, maxNestingDepth, readMessageHeader } from '../../src/hs2/thrift-reader.ts';
import { createRequire } from 'node:module';
import { checkThriftCall, wellFormed } from '../../src/hs2/thrift-check.ts';
import type { SniffedRequest } from '../../src/hs2/sniff.ts';
import { BufferReadTransport } from '../../src/tools/thrift/buffer-transport.ts';
import { encodeCall, encodeException, encodeReply, hs2Methods, type Hs2Method, type Hs2Request } from '../../src/tools/thrift/hs2.ts';

// The thrift library's reader, independent of ours, for the method name of a message.
const require = createRequire(import.meta.url);
const { TBinaryProtocol } = require('thrift') as { TBinaryProtocol: new (transport: unknown, strictRead?: boolean, strictWrite?: boolean) => { readMessageBegin(): { fname: string | Buffer } } };
function libraryMethodName(body: Buffer): string {
  const { fname } = new TBinaryProtocol(new BufferReadTransport(body), false, true).readMessageBegin();
  return typeof fname === 'string' ? fname : fname.toString('utf8');
}

// A tiny Thrift binary-protocol encoder (apache/thrift doc/specs/thrift-binary-protocol.md), written
// independently of the reader under test and of the generated code.
const bytes = (...values: number[]): Buffer => Buffer.from(values);
function i16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}
function i32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}
function i64(value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt(value));
  return buffer;
}
const string = (value: string | Buffer): Buffer => {
  const content = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([i32(content.length), content]);
};
const field = (type: number, id: number, value: Buffer): Buffer => Buffer.concat([bytes(type), i16(id), value]);
const struct = (...fields: Buffer[]): Buffer => Buffer.concat([...fields, bytes(TType.STOP)]);
const map = (keyType: number, valueType: number, entries: Buffer[][]): Buffer =>
  Buffer.concat([bytes(keyType, valueType), i32(entries.length), ...entries.flat()]);
const list = (elementType: number, elements: Buffer[]): Buffer => Buffer.concat([bytes(elementType), i32(elements.length), ...elements]);

function strictHeader(name: string, type: number, seqid = 0): Buffer {
  return Buffer.concat([bytes(0x80, 0x01, 0x00, type), string(name), i32(seqid)]);
}
function oldHeader(name: string, type: number, seqid = 0): Buffer {
  return Buffer.concat([string(name), bytes(type), i32(seqid)]);
}
/** `<Method>_args { 1: req }` */
function call(name: string, request: Buffer, header = strictHeader): Buffer {
  return Buffer.concat([header(name, MessageType.CALL), struct(field(TType.STRUCT, 1, request))]);
}
/** `<Method>_result { 0: success }` */
function reply(name: string, response: Buffer): Buffer {
  return Buffer.concat([strictHeader(name, MessageType.REPLY, 7), struct(field(TType.STRUCT, 0, response))]);
}

const guid = Buffer.from([...Array(16).keys()]);
const secret = Buffer.from('f0e1d2c3b4a5968778695a4b3c2d1e0f', 'hex');
const secretHex = secret.toString('hex');
const handleIdentifier = (id: Buffer, key: Buffer): Buffer => struct(field(TType.STRING, 1, string(id)), field(TType.STRING, 2, string(key)));
const sessionHandle = (key = secret): Buffer => struct(field(TType.STRUCT, 1, handleIdentifier(guid, key)));
const operationHandle = (key = secret): Buffer =>
  struct(field(TType.STRUCT, 1, handleIdentifier(Buffer.alloc(16, 0x77), key)), field(TType.I32, 2, i32(0)), field(TType.BOOL, 3, bytes(1)));

const executeStatement = (header = strictHeader): Buffer =>
  call(
    'ExecuteStatement',
    struct(
      field(TType.STRUCT, 1, sessionHandle()),
      field(TType.STRING, 2, string('select 1')),
      field(TType.MAP, 3, map(TType.STRING, TType.STRING, [[string('MEM_LIMIT'), string('1g')]])),
      field(TType.BOOL, 4, bytes(1)),
    ),
    header,
  );
const fetchResults = (): Buffer =>
  call(
    'FetchResults',
    struct(field(TType.STRUCT, 1, operationHandle()), field(TType.I32, 2, i32(0)), field(TType.I64, 3, i64(1024)), field(TType.I16, 4, i16(0))),
  );
const openSession = (): Buffer =>
  call(
    'OpenSession',
    struct(
      field(TType.I32, 1, i32(5)),
      field(TType.STRING, 2, string('alice')),
      field(TType.MAP, 4, map(TType.STRING, TType.STRING, [[string('impala.doas.user'), string('bob')]])),
    ),
  );

describe('the test encoder', () => {
  it('puts guid and secret of ExecuteStatement at the offsets of research §5 (guid @44, secret @67)', () => {
    const body = executeStatement();
    expect(body.subarray(44, 60)).toEqual(guid);
    expect(body.subarray(67, 83)).toEqual(secret);
  });
});

describe('readMessageHeader', () => {
  it('reads strict and old-style headers', () => {
    expect(readMessageHeader(strictHeader('GetInfo', MessageType.CALL, 3))).toEqual({ name: 'GetInfo', type: 1, bodyOffset: 19 });
    expect(readMessageHeader(oldHeader('GetInfo', MessageType.ONEWAY, 3))).toEqual({ name: 'GetInfo', type: 4, bodyOffset: 16 });
  });

  it('returns undefined for a header that is cut short', () => {
    const header = strictHeader('GetInfo', MessageType.CALL);
    for (let length = 0; length < header.length; length++) expect(readMessageHeader(header.subarray(0, length))).toBeUndefined();
  });

  it('throws RangeError for a strict header with a wrong version', () => {
    expect(() => readMessageHeader(Buffer.concat([bytes(0x80, 0x02, 0x00, 0x01), string('x'), i32(0)]))).toThrow(RangeError);
  });
});

describe('ThriftCursor', () => {
  it('skips every type and finds a later field', () => {
    const body = struct(
      field(TType.BOOL, 1, bytes(0)),
      field(TType.BYTE, 2, bytes(9)),
      field(TType.DOUBLE, 3, Buffer.alloc(8)),
      field(TType.I16, 4, i16(1)),
      field(TType.I32, 5, i32(1)),
      field(TType.I64, 6, i64(1)),
      field(TType.STRING, 7, string('abc')),
      field(TType.STRUCT, 8, struct(field(TType.I32, 1, i32(2)))),
      field(TType.MAP, 9, map(TType.I32, TType.STRUCT, [[i32(1), struct()]])),
      field(TType.SET, 10, list(TType.STRING, [string('a'), string('b')])),
      field(TType.LIST, 11, list(TType.LIST, [list(TType.I64, [i64(1), i64(2)])])),
      field(TType.I32, 12, i32(0x12345678)),
    );
    const cursor = new ThriftCursor(body);
    expect(cursor.seekField(12, TType.I32)).toBe(true);
    expect(cursor.i32()).toBe(0x12345678);
    expect(new ThriftCursor(body).seekField(13, TType.I32)).toBe(false);
    // Same id, other type: not a match.
    expect(new ThriftCursor(body).seekField(7, TType.I32)).toBe(false);
  });

  it(`skips nesting up to ${maxNestingDepth} below the value it is given, and refuses deeper`, () => {
    let nested = struct();
    for (let i = 0; i < maxNestingDepth; i++) nested = struct(field(TType.STRUCT, 1, nested));
    const cursor = new ThriftCursor(nested);
    cursor.skip(TType.STRUCT);
    expect(cursor.offset).toBe(nested.length);
    expect(() => new ThriftCursor(struct(field(TType.STRUCT, 1, nested))).skip(TType.STRUCT)).toThrow(RangeError);
  });
});

describe('sniffRequest', () => {
  it('reads ExecuteStatement and its session secret (strict header)', () => {
    expect(sniffRequest(executeStatement(), true)).toEqual({ method: 'ExecuteStatement', sessionKey: secretHex });
    expect(sniffRequest(executeStatement(), false)).toEqual({ method: 'ExecuteStatement', sessionKey: secretHex });
  });

  it('reads an old-style (non-strict) header too', () => {
    expect(sniffRequest(executeStatement(oldHeader), true)).toEqual({ method: 'ExecuteStatement', sessionKey: secretHex });
  });

  it('reads the operation handle secret of FetchResults', () => {
    expect(sniffRequest(fetchResults(), true)).toEqual({ method: 'FetchResults', sessionKey: secretHex });
  });

  it('reads GetExecSummary (operation handle first, session handle later)', () => {
    const body = call('GetExecSummary', struct(field(TType.STRUCT, 1, operationHandle()), field(TType.STRUCT, 2, sessionHandle(Buffer.alloc(16, 1)))));
    expect(sniffRequest(body, true)).toEqual({ method: 'GetExecSummary', sessionKey: secretHex });
  });

  it('reads session-handle RPCs of ImpalaHiveServer2Service (PingImpalaHS2Service, CloseSession)', () => {
    for (const method of ['PingImpalaHS2Service', 'CloseSession', 'GetInfo']) {
      const body = call(method, struct(field(TType.STRUCT, 1, sessionHandle()), field(TType.I32, 2, i32(18))));
      expect(sniffRequest(body, true)).toEqual({ method, sessionKey: secretHex });
    }
  });

  it('finds the secret when the identifier writes it before the guid', () => {
    const identifier = struct(field(TType.STRING, 2, string(secret)), field(TType.STRING, 1, string(guid)));
    const body = call('CloseSession', struct(field(TType.STRUCT, 1, struct(field(TType.STRUCT, 1, identifier)))));
    expect(sniffRequest(body, true)).toEqual({ method: 'CloseSession', sessionKey: secretHex });
  });

  it('reads the key past a field nested 40 deep, as deep as the Thrift check accepts (it stopped at 32)', () => {
    let deep = struct();
    for (let depth = 0; depth < 40; depth++) deep = struct(field(TType.STRUCT, 1, deep));
    // Field 2 comes first: the sniffer skips it on its way to the session handle in field 1.
    const body = Buffer.concat([strictHeader('CloseSession', MessageType.CALL), struct(field(TType.STRUCT, 2, deep), field(TType.STRUCT, 1, struct(field(TType.STRUCT, 1, sessionHandle()))))]);
    expect(checkThriftCall(body, true)).toBe(wellFormed);
    expect(sniffRequest(body, true)).toEqual({ method: 'CloseSession', sessionKey: secretHex });
  });

  it('has no key for OpenSession', () => {
    expect(sniffRequest(openSession(), true)).toEqual({ method: 'OpenSession', sessionKey: undefined });
  });

  it('has no key for a secret that is not 16 bytes', () => {
    const body = call('CloseSession', struct(field(TType.STRUCT, 1, sessionHandle(Buffer.alloc(15)))));
    expect(sniffRequest(body, true)).toEqual({ method: 'CloseSession', sessionKey: undefined });
  });

  it('waits for more bytes until the secret is complete, then answers', () => {
    const body = executeStatement();
    const secretEnd = 83;
    for (let length = 0; length < secretEnd; length++) expect(sniffRequest(body.subarray(0, length), false), `length ${length}`).toBeUndefined();
    for (let length = secretEnd; length <= body.length; length++) {
      expect(sniffRequest(body.subarray(0, length), false), `length ${length}`).toEqual({ method: 'ExecuteStatement', sessionKey: secretHex });
    }
  });

  it('answers what it could read when the whole body is shorter than needed', () => {
    const body = executeStatement();
    const headerEnd = 12 + 'ExecuteStatement'.length;
    for (let length = 0; length < headerEnd; length++) expect(sniffRequest(body.subarray(0, length), true), `length ${length}`).toBe(unknownRequest);
    for (let length = headerEnd; length < 83; length++) {
      expect(sniffRequest(body.subarray(0, length), true), `length ${length}`).toEqual({ method: 'ExecuteStatement', sessionKey: undefined });
    }
  });

  it('answers OpenSession as soon as the request’s first field header is there', () => {
    const body = openSession();
    const firstFieldEnd = 12 + 'OpenSession'.length + 3 + 3;
    for (let length = 0; length < firstFieldEnd; length++) expect(sniffRequest(body.subarray(0, length), false), `length ${length}`).toBeUndefined();
    expect(sniffRequest(body.subarray(0, firstFieldEnd), false)).toEqual({ method: 'OpenSession', sessionKey: undefined });
  });

  it('answers unknownRequest for non-calls and garbage, and never throws', () => {
    expect(sniffRequest(Buffer.alloc(0), true)).toBe(unknownRequest);
    expect(sniffRequest(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), true)).toBe(unknownRequest);
    expect(sniffRequest(Buffer.from('{"statement":"select 1"}'), true)).toBe(unknownRequest);
    expect(sniffRequest(Buffer.from(reply('OpenSession', struct())), true)).toBe(unknownRequest);
    // A strict header with a wrong version is known to be garbage without more bytes.
    expect(sniffRequest(bytes(0x80, 0x02, 0x00, 0x01, 0, 0), false)).toBe(unknownRequest);
    expect(sniffRequest(bytes(0xff, 0xff, 0xff, 0xff), false)).toBe(unknownRequest);
    // After a well-formed header, a body that cannot be walked (negative length, unknown field type)
    // still names the method, so the request is routed by its cookie rather than rejected.
    expect(sniffRequest(Buffer.concat([strictHeader('CloseSession', 1), bytes(TType.STRING), i16(2), i32(-5)]), false)).toEqual({
      method: 'CloseSession',
      sessionKey: undefined,
    });
    const unknownType = Buffer.concat([strictHeader('CloseSession', 1), bytes(TType.STRUCT), i16(1), bytes(0x55), i16(1), Buffer.alloc(20)]);
    expect(sniffRequest(unknownType, true)).toEqual({ method: 'CloseSession', sessionKey: undefined });
  });
});

// Deterministic fuzz. sniffRequest answers from a prefix before the rest arrives and the proxy
// routes on that first answer, so an answer must never change with more bytes; and a body the
// encoder wrote must be read exactly. sniffRequest catches only the RangeError the reader throws
// for malformed bytes, so "never throws" fails on a bug of ours (a TypeError, say).
describe('sniffRequest (deterministic fuzz)', () => {
  const random = seededRandom(0x2545f491);
  const randomBytes = (length: number): Buffer => Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  /** A random call as impyla or impala-shell would encode it, with the key sniffRequest must find. */
  function randomCall(): { body: Buffer; method: Hs2Method; sessionKey: string | undefined } {
    const method = pick(hs2Methods);
    const key = randomBytes(16);
    const sessionHandle = { sessionId: { guid: randomBytes(16), secret: key } };
    const operationHandle = { operationId: { guid: randomBytes(16), secret: key }, operationType: pick([0, 8]), hasResultSet: random() < 0.5 };
    const text = (max: number) => 'x'.repeat(Math.floor(random() * max));
    const configuration = Object.fromEntries(Array.from({ length: Math.floor(random() * 6) }, (_, i) => [`key${i}${text(20)}`, text(40)]));
    const requests: { [M in Hs2Method]: Hs2Request<M> } = {
      OpenSession: { client_protocol: pick([0, 4, 5, 6]), ...(random() < 0.5 && { username: text(20) }), ...(random() < 0.5 && { configuration }) },
      CloseSession: { sessionHandle },
      GetInfo: { sessionHandle, infoType: pick([13, 17, 18]) },
      ExecuteStatement: { sessionHandle, statement: `select '${text(3000)}'`, ...(random() < 0.5 && { confOverlay: configuration }), runAsync: random() < 0.5 },
      GetOperationStatus: { operationHandle },
      CancelOperation: { operationHandle },
      CloseOperation: { operationHandle },
      GetResultSetMetadata: { operationHandle },
      FetchResults: { operationHandle, orientation: pick([0, 4]), maxRows: Math.floor(random() * 100_000) },
      GetLog: { operationHandle },
      PingImpalaHS2Service: { sessionHandle },
      CloseImpalaOperation: { operationHandle },
      GetExecSummary: { operationHandle, sessionHandle },
      GetRuntimeProfile: { operationHandle, sessionHandle, format: pick([0, 1]) },
    };
    const body = encodeCall(method, requests[method] as never, Math.floor(random() * 1000));
    return { body, method, sessionKey: method === 'OpenSession' ? undefined : key.toString('hex') };
  }

  /** Every prefix: undefined until the first answer, then that same answer, which is the whole body's. */
  function expectEarlyAnswersFinal(body: Buffer, label: string): void {
    const whole = sniffRequest(body, true);
    expect(whole, label).toBeDefined();
    let first: SniffedRequest | undefined;
    for (let length = 0; length <= body.length; length += 1 + Math.floor(random() * 15)) {
      const answer = sniffRequest(body.subarray(0, length), false);
      if (first === undefined) first = answer;
      // expect() only on a difference: it is slow enough to dominate the loop.
      else if (answer?.method !== first.method || answer?.sessionKey !== first.sessionKey) expect(answer, `${label}: answer changed at ${length} bytes`).toEqual(first);
    }
    if (first !== undefined) expect(first, `${label}: an early answer differs from the whole body's`).toEqual(whole);
  }

  it('reads method and session key of 500 random encoder-made calls, from the first answer on', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const { body, method, sessionKey } = randomCall();
      seen.add(method);
      expect(sniffRequest(body, true), `call ${i}`).toEqual({ method, sessionKey });
      expect(checkThriftCall(body, true), `call ${i}`).toBe(wellFormed);
      expectEarlyAnswersFinal(body, `call ${i} (${method})`);
    }
    expect(seen.size).toBe(hs2Methods.length);
  });

  it('never throws on 2,000 corrupted calls, always answers a whole body, and never changes an early answer', () => {
    let walkable = 0;
    for (let i = 0; i < 2000; i++) {
      const { body: original } = randomCall();
      let body = Buffer.from(original);
      // Corrupt a few bytes anywhere, or only after the header, or cut the body short.
      const from = i % 2 === 0 ? 0 : 12 + original.readInt32BE(4);
      for (let j = 0; j < 1 + Math.floor(random() * 4); j++) body[from + Math.floor(random() * (body.length - from))] = Math.floor(random() * 256);
      if (i % 5 === 0) body = body.subarray(0, Math.floor(random() * body.length));
      expectEarlyAnswersFinal(body, `body ${i}: ${body.toString('hex').slice(0, 200)}`);
      // Where the walk finds a well-formed call, the method is the one the thrift library reads.
      if (checkThriftCall(body, true).kind === 'ok') {
        walkable++;
        // The library decodes the name as UTF-8, the sniffer keeps its bytes (latin1).
        expect(Buffer.from(sniffRequest(body, true)!.method!, 'latin1').toString('utf8'), `body ${i}`).toBe(libraryMethodName(body));
      }
    }
    expect(walkable).toBeGreaterThan(250);
  });
});

const status = (code: number, ...more: Buffer[]): Buffer => struct(field(TType.I32, 1, i32(code)), ...more);
const openSessionResponse = (statusStruct: Buffer, withHandle = true): Buffer =>
  struct(
    field(TType.STRUCT, 1, statusStruct),
    field(TType.I32, 2, i32(5)),
    ...(withHandle ? [field(TType.STRUCT, 3, sessionHandle())] : []),
    field(TType.MAP, 4, map(TType.STRING, TType.STRING, [[string('http_addr'), string('impalad-1:25000')]])),
  );

describe('readOpenSessionReply', () => {
  it('returns the new session key on SUCCESS', () => {
    expect(readOpenSessionReply(reply('OpenSession', openSessionResponse(status(0))))).toBe(secretHex);
  });

  it('returns the key on SUCCESS_WITH_INFO with info messages', () => {
    const withInfo = status(1, field(TType.LIST, 2, list(TType.STRING, [string('note 1'), string('note 2')])));
    expect(readOpenSessionReply(reply('OpenSession', openSessionResponse(withInfo)))).toBe(secretHex);
  });

  it('ignores the handle of an error reply (impalad fills it before its later checks)', () => {
    const error = status(3, field(TType.STRING, 3, string('HY000')), field(TType.STRING, 5, string('too many sessions')));
    expect(readOpenSessionReply(reply('OpenSession', openSessionResponse(error)))).toBeUndefined();
    expect(readOpenSessionReply(reply('OpenSession', openSessionResponse(status(4))))).toBeUndefined();
  });

  it('returns undefined without a handle, without a status, for exceptions, calls and truncated replies', () => {
    expect(readOpenSessionReply(reply('OpenSession', openSessionResponse(status(0), false)))).toBeUndefined();
    expect(readOpenSessionReply(reply('OpenSession', struct(field(TType.STRUCT, 3, sessionHandle()))))).toBeUndefined();
    expect(readOpenSessionReply(reply('OpenSession', struct()))).toBeUndefined();
    const exception = Buffer.concat([strictHeader('OpenSession', MessageType.EXCEPTION), struct(field(TType.STRING, 1, string('boom')), field(TType.I32, 2, i32(6)))]);
    expect(readOpenSessionReply(exception)).toBeUndefined();
    expect(readOpenSessionReply(openSession())).toBeUndefined();
    const whole = reply('OpenSession', openSessionResponse(status(0)));
    const handleEnd = whole.indexOf(secret) + 16;
    for (let length = 0; length < handleEnd; length++) expect(readOpenSessionReply(whole.subarray(0, length)), `length ${length}`).toBeUndefined();
    expect(readOpenSessionReply(whole.subarray(0, handleEnd))).toBe(secretHex);
    expect(readOpenSessionReply(Buffer.from('<html>502 Bad Gateway</html>'))).toBeUndefined();
  });
});

describe('readReplyStatusCode', () => {
  it('reads the status of a reply whose success struct starts with a TStatus', () => {
    expect(readReplyStatusCode(reply('CloseSession', struct(field(TType.STRUCT, 1, status(0)))))).toBe(0);
    const invalidSession = status(3, field(TType.STRING, 3, string('HY000')), field(TType.STRING, 5, string('Invalid session id: 0706050403020100:0f0e0d0c0b0a0908\n')));
    expect(readReplyStatusCode(reply('CloseSession', struct(field(TType.STRUCT, 1, invalidSession))))).toBe(3);
    expect(readReplyStatusCode(reply('GetOperationStatus', struct(field(TType.STRUCT, 1, status(2)), field(TType.I32, 2, i32(1)))))).toBe(2);
  });

  it('returns undefined for exceptions, calls, truncation and garbage', () => {
    expect(readReplyStatusCode(reply('CloseSession', struct()))).toBeUndefined();
    expect(readReplyStatusCode(reply('CloseSession', struct(field(TType.STRUCT, 1, struct()))))).toBeUndefined();
    const whole = reply('CloseSession', struct(field(TType.STRUCT, 1, status(0))));
    expect(readReplyStatusCode(whole.subarray(0, whole.length - 4))).toBeUndefined();
    expect(readReplyStatusCode(executeStatement())).toBeUndefined();
    expect(readReplyStatusCode(Buffer.from('garbage!garbage!'))).toBeUndefined();
  });
});

describe('cross-check with the generated Thrift code (src/tools/thrift/hs2.ts)', () => {
  const handle = { sessionId: { guid, secret } };
  const operation = { operationId: { guid: Buffer.alloc(16, 9), secret }, operationType: 0, hasResultSet: true };

  it('sniffs calls encoded by the generated code', () => {
    expect(sniffRequest(encodeCall('ExecuteStatement', { sessionHandle: handle, statement: 'select 1', confOverlay: { a: 'b' } }), true)).toEqual({
      method: 'ExecuteStatement',
      sessionKey: secretHex,
    });
    expect(sniffRequest(encodeCall('FetchResults', { operationHandle: operation, orientation: 0, maxRows: 1024 }), true)).toEqual({
      method: 'FetchResults',
      sessionKey: secretHex,
    });
    expect(sniffRequest(encodeCall('OpenSession', { client_protocol: 5, username: 'alice' }), true)).toEqual({ method: 'OpenSession', sessionKey: undefined });
  });

  it('reads replies encoded by the generated code', () => {
    const success = encodeReply('OpenSession', { status: { statusCode: 0 }, serverProtocolVersion: 5, sessionHandle: handle, configuration: { http_addr: 'x:25000' } });
    expect(readOpenSessionReply(success)).toBe(secretHex);
    const failure = encodeReply('OpenSession', { status: { statusCode: 3, errorMessage: 'no' }, serverProtocolVersion: 5, sessionHandle: handle });
    expect(readOpenSessionReply(failure)).toBeUndefined();
    expect(readReplyStatusCode(encodeReply('CloseSession', { status: { statusCode: 3, errorMessage: 'Invalid session id' } }))).toBe(3);
    expect(readReplyStatusCode(encodeException('CloseSession', 0, 6, 'internal'))).toBeUndefined();
  });
});
