import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../helpers/seeded-random.ts';
import { checkThriftCall, maxMethodNameBytes, wellFormed } from '../../src/hs2/thrift-check.ts';
import { maxNestingDepth } from '../../src/hs2/thrift-reader.ts';
import { BufferReadTransport } from '../../src/tools/thrift/buffer-transport.ts';
import { encodeCall, encodeException, encodeReply, hs2Methods, type Hs2Method, type Hs2Request } from '../../src/tools/thrift/hs2.ts';
import { MessageType, TType, bytes, call, field, i16, i32, i64, list, map, oldHeader, strictHeader, string, struct } from '../helpers/thrift-bytes.ts';

const guid = Buffer.alloc(16, 0x11);
const secret = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const sessionHandle = { sessionId: { guid, secret } };
const operationHandle = { operationId: { guid: Buffer.alloc(16, 0x22), secret }, operationType: 0, hasResultSet: true, modifiedRowCount: 3 };

/** A realistic request for every method the codec knows (what impyla and impala-shell send). */
export const sampleRequests: { [M in Hs2Method]: Hs2Request<M> } = {
  OpenSession: { client_protocol: 5, username: 'alice', password: 'secret', configuration: { 'impala.doas.user': 'bob', MEM_LIMIT: '2g', idle_session_timeout: '3600' } },
  CloseSession: { sessionHandle },
  GetInfo: { sessionHandle, infoType: 18 },
  ExecuteStatement: { sessionHandle, statement: 'select count(*) from functional.alltypes where id > 10', confOverlay: { QUERY_TIMEOUT_S: '600' }, runAsync: true },
  GetOperationStatus: { operationHandle },
  CancelOperation: { operationHandle },
  CloseOperation: { operationHandle },
  GetResultSetMetadata: { operationHandle },
  FetchResults: { operationHandle, orientation: 0, maxRows: 10240, fetchType: 0 },
  GetLog: { operationHandle },
  PingImpalaHS2Service: { sessionHandle },
  CloseImpalaOperation: { operationHandle },
  GetExecSummary: { operationHandle, sessionHandle },
  GetRuntimeProfile: { operationHandle, sessionHandle, format: 0 },
};

const encodedCalls = (): [Hs2Method, Buffer][] => hs2Methods.map((method) => [method, encodeCall(method, sampleRequests[method] as never)]);

function problemOf(body: Buffer, isComplete = true): string | undefined {
  const result = checkThriftCall(body, isComplete);
  return result.kind === 'invalid' ? result.problem : undefined;
}

describe('checkThriftCall: well-formed calls', () => {
  it('accepts every call the codec encodes, whole, and every prefix of it as a prefix', () => {
    expect(hs2Methods.length).toBe(14);
    for (const [method, body] of encodedCalls()) {
      expect(checkThriftCall(body, true), method).toBe(wellFormed);
      for (let length = 0; length < body.length; length++) expect(problemOf(body.subarray(0, length), false), `${method} prefix ${length}`).toBeUndefined();
    }
  });

  it('refuses every proper prefix of a call as a complete body', () => {
    for (const [method, body] of encodedCalls()) {
      for (let length = 0; length < body.length; length++) expect(problemOf(body.subarray(0, length)), `${method} cut at ${length}`).toMatch(/ends inside|runs past|does not fit/);
    }
  });

  it('accepts large statements and non-zero seqids', () => {
    const statement = `select '${'x'.repeat(100 * 1024)}'`;
    expect(checkThriftCall(encodeCall('ExecuteStatement', { sessionHandle, statement }, 77), true)).toBe(wellFormed);
  });

  it('accepts old-style headers, ONEWAY, every type, negative field ids, empty containers of any element type', () => {
    const everyType = struct(
      field(TType.BOOL, 1, bytes(1)),
      field(TType.BYTE, 2, bytes(0xff)),
      field(TType.DOUBLE, 3, Buffer.alloc(8)),
      field(TType.I16, 4, i16(-1)),
      field(TType.I32, 5, i32(7)),
      field(TType.I64, 6, i64(1)),
      field(TType.STRING, 7, string('')),
      field(TType.STRUCT, -1, struct()),
      field(TType.MAP, 9, map(TType.STRING, TType.LIST, [[string('k'), list(TType.I64, [i64(1), i64(2)])]])),
      field(TType.SET, 10, list(TType.STRUCT, [struct(), struct(field(TType.BOOL, 1, bytes(0)))])),
      field(TType.LIST, 11, list(TType.BOOL, [bytes(0), bytes(1), bytes(0)])),
      field(TType.MAP, 12, Buffer.concat([bytes(0x55, 0x66), i32(0)])),
      field(TType.LIST, 13, Buffer.concat([bytes(0x77), i32(0)])),
    );
    expect(checkThriftCall(call('GetInfo', everyType), true)).toBe(wellFormed);
    expect(checkThriftCall(call('GetInfo', everyType, oldHeader), true)).toBe(wellFormed);
    expect(checkThriftCall(Buffer.concat([strictHeader('Ping', MessageType.ONEWAY), struct()]), true)).toBe(wellFormed);
    expect(checkThriftCall(Buffer.concat([oldHeader('', MessageType.CALL), struct()]), true)).toBe(wellFormed);
  });

  it(`accepts nesting up to ${maxNestingDepth} levels, the args struct included`, () => {
    let nested = struct();
    for (let depth = 1; depth < maxNestingDepth; depth++) nested = struct(field(TType.STRUCT, 1, nested));
    expect(checkThriftCall(Buffer.concat([strictHeader('GetInfo'), nested]), true)).toBe(wellFormed);
  });

  it('takes a bool other than 0 or 1 as impalad does (true), unless isBoolStrict', () => {
    const body = call('GetInfo', struct(field(TType.BOOL, 1, bytes(2))));
    expect(checkThriftCall(body, true)).toBe(wellFormed);
    expect(checkThriftCall(body, true, { isBoolStrict: true })).toEqual({ kind: 'invalid', problem: 'a bool that is neither 0 nor 1' });
    const inList = call('GetInfo', struct(field(TType.LIST, 1, list(TType.BOOL, [bytes(1), bytes(9)]))));
    expect(checkThriftCall(inList, true)).toBe(wellFormed);
    expect(problemOf(inList, true)).toBeUndefined();
    expect(checkThriftCall(inList, true, { isBoolStrict: true }).kind).toBe('invalid');
  });
});

describe('checkThriftCall: malformed bodies', () => {
  const openSessionHeader = strictHeader('OpenSession');

  it('refuses bodies that are not a binary-protocol call', () => {
    expect(problemOf(Buffer.alloc(0))).toBe('the body ends inside the message header');
    expect(problemOf(Buffer.from('POST /cliservice HTTP/1.1\r\n\r\n'))).toMatch(/method name length out of range/);
    expect(problemOf(Buffer.from('{"statement":"select 1"}'))).toMatch(/method name length out of range/);
    expect(problemOf(Buffer.concat([bytes(0x80, 0x02, 0x00, 0x01), string('GetInfo'), i32(0), struct()]))).toMatch(/bad version/);
    expect(problemOf(encodeReply('CloseSession', { status: { statusCode: 0 } }))).toBe('message type 2 is not a call');
    expect(problemOf(encodeException('CloseSession', 0, 6, 'boom'))).toBe('message type 3 is not a call');
    expect(problemOf(Buffer.concat([oldHeader('GetInfo', MessageType.REPLY), struct()]))).toBe('message type 2 is not a call');
    expect(problemOf(Buffer.concat([bytes(0x80, 0x01, 0x00, 0x01), i32(-1)]))).toBe('method name length out of range');
    expect(problemOf(Buffer.concat([bytes(0x80, 0x01, 0x00, 0x01), string('x'.repeat(maxMethodNameBytes + 1)), i32(0), struct()]))).toBe('method name length out of range');
  });

  it('refuses bytes after the end of the message', () => {
    const body = encodeCall('GetInfo', sampleRequests.GetInfo);
    expect(problemOf(Buffer.concat([body, bytes(0)]))).toBe('1 bytes after the end of the message');
    expect(problemOf(Buffer.concat([body, body]))).toBe(`${body.length} bytes after the end of the message`);
    // A prefix cannot know where the body ends.
    expect(problemOf(Buffer.concat([body, body]), false)).toBeUndefined();
  });

  it('refuses an OpenSession header followed by a truncated or garbage struct (issue 10 item 4)', () => {
    const cases: [Buffer, RegExp][] = [
      [openSessionHeader, /ends inside a struct/],
      [Buffer.concat([openSessionHeader, bytes(TType.STRUCT)]), /ends inside a field header/],
      [Buffer.concat([openSessionHeader, bytes(TType.STRUCT, 0, 1, TType.I32, 0, 1, 0, 0)]), /ends inside a field/],
      [Buffer.concat([openSessionHeader, bytes(TType.STRUCT, 0, 1, TType.STRING, 0, 2), i32(100), Buffer.from('alice')]), /string length 100 runs past/],
      [Buffer.concat([openSessionHeader, bytes(TType.STRUCT, 0, 1, TType.STRING, 0, 2), i32(-5)]), /negative string length/],
      [Buffer.concat([openSessionHeader, bytes(TType.STRUCT, 0, 1, 0x55, 0, 1), Buffer.alloc(20)]), /unknown field type 85/],
      [Buffer.concat([openSessionHeader, Buffer.alloc(64, 0xff)]), /unknown field type 255/],
      [Buffer.concat([openSessionHeader, Buffer.from('garbage garbage garbage')]), /unknown field type/],
      // The codec's OpenSession, its last STOP lost.
      [encodeCall('OpenSession', sampleRequests.OpenSession).subarray(0, -1), /ends inside a struct/],
    ];
    for (const [body, problem] of cases) expect(problemOf(body), body.toString('hex')).toMatch(problem);
  });

  it('refuses every type byte the spec does not define, also UUID (16), which impalad’s Thrift 0.16 does not know', () => {
    for (let type = 0; type < 256; type++) {
      if ([0, 2, 3, 4, 6, 8, 10, 11, 12, 13, 14, 15].includes(type)) continue;
      expect(problemOf(call('GetInfo', struct(field(type, 1, Buffer.alloc(16))))), `type ${type}`).toBe(`unknown field type ${type}`);
      expect(problemOf(call('GetInfo', struct(field(TType.LIST, 1, list(type, [Buffer.alloc(16)]))))), `list of ${type}`).toBe(`unknown list element type ${type}`);
      expect(problemOf(call('GetInfo', struct(field(TType.MAP, 1, map(TType.STRING, type, [[string('k'), Buffer.alloc(16)]]))))), `map to ${type}`).toBe(`unknown map element type ${type}`);
    }
  });

  it(`refuses nesting deeper than ${maxNestingDepth}, of structs or containers, quickly`, () => {
    let nested = struct();
    for (let depth = 1; depth <= maxNestingDepth; depth++) nested = struct(field(TType.STRUCT, 1, nested));
    expect(problemOf(Buffer.concat([strictHeader('GetInfo'), nested]))).toBe(`nested deeper than ${maxNestingDepth}`);
    // 100,000 levels of list<list<…>>, as a prefix too (no stack overflow, no deep walk).
    const deepLists = Buffer.concat([strictHeader('GetInfo'), bytes(TType.LIST, 0, 1), Buffer.concat(Array.from({ length: 100_000 }, () => Buffer.concat([bytes(TType.LIST), i32(1)])))]);
    expect(problemOf(deepLists)).toBe(`nested deeper than ${maxNestingDepth}`);
    expect(problemOf(deepLists, false)).toBe(`nested deeper than ${maxNestingDepth}`);
    const deepMaps = Buffer.concat([strictHeader('GetInfo'), bytes(TType.MAP, 0, 1), Buffer.concat(Array.from({ length: 1000 }, () => Buffer.concat([bytes(TType.I32, TType.MAP), i32(1), i32(0)])))]);
    expect(problemOf(deepMaps)).toBe(`nested deeper than ${maxNestingDepth}`);
  });

  it('refuses container counts that cannot fit, before looping over them', () => {
    const huge = 0x7fffffff;
    const header = strictHeader('ExecuteStatement');
    const cases: [Buffer, string][] = [
      [Buffer.concat([header, bytes(TType.LIST, 0, 1, TType.STRUCT), i32(huge), Buffer.alloc(100)]), `list size ${huge} does not fit in the rest of the body`],
      [Buffer.concat([header, bytes(TType.LIST, 0, 1, TType.I64), i32(huge), Buffer.alloc(100)]), `list size ${huge} does not fit in the rest of the body`],
      [Buffer.concat([header, bytes(TType.SET, 0, 1, TType.BOOL), i32(1000), Buffer.alloc(999)]), 'list size 1000 does not fit in the rest of the body'],
      [Buffer.concat([header, bytes(TType.MAP, 0, 1, TType.STRING, TType.STRING), i32(huge), Buffer.alloc(100)]), `map size ${huge} does not fit in the rest of the body`],
      // Each entry needs 8 bytes at least (two empty strings); 12 entries do not fit in 95.
      [Buffer.concat([header, bytes(TType.MAP, 0, 1, TType.STRING, TType.STRING), i32(12), Buffer.alloc(95)]), 'map size 12 does not fit in the rest of the body'],
      [Buffer.concat([header, bytes(TType.LIST, 0, 1, TType.I32), i32(-1)]), 'negative list size'],
      [Buffer.concat([header, bytes(TType.MAP, 0, 1, TType.I32, TType.I32), i32(-2)]), 'negative map size'],
    ];
    for (const [body, problem] of cases) expect(problemOf(body), problem).toBe(problem);
  });

  it('walks a prefix with a huge count as far as its bytes go, and finds garbage inside it', () => {
    const huge = 0x7fffffff;
    const header = strictHeader('ExecuteStatement');
    // list<struct> of 2^31 - 1 empty structs: the prefix holds 1 MiB of them.
    const emptyStructs = Buffer.concat([header, bytes(TType.LIST, 0, 1, TType.STRUCT), i32(huge), Buffer.alloc(1024 * 1024)]);
    expect(problemOf(emptyStructs, false)).toBeUndefined();
    const fixed = Buffer.concat([header, bytes(TType.LIST, 0, 1, TType.I64), i32(huge), Buffer.alloc(64)]);
    expect(problemOf(fixed, false)).toBeUndefined();
    const garbageInside = Buffer.concat([header, bytes(TType.LIST, 0, 1, TType.STRUCT), i32(huge), Buffer.alloc(1000), bytes(0x42)]);
    expect(problemOf(garbageInside, false)).toBe('unknown field type 66');
  });

  it('checks the header and what is there of a prefix', () => {
    expect(problemOf(bytes(0x80), false)).toBeUndefined();
    expect(problemOf(bytes(0x80, 0x02, 0x00, 0x01), false)).toMatch(/bad version/);
    expect(problemOf(bytes(0x80, 0x01, 0x00, 0x02), false)).toBe('message type 2 is not a call');
    expect(problemOf(Buffer.from('GET / HTTP/1.1'), false)).toMatch(/method name length out of range/);
    expect(problemOf(Buffer.concat([strictHeader('OpenSession'), bytes(TType.STRUCT, 0, 1, 0x55)]), false)).toBe('unknown field type 85');
    expect(problemOf(Buffer.concat([strictHeader('OpenSession'), bytes(TType.STRUCT, 0, 1, TType.STRING, 0, 2), i32(-1)]), false)).toBe('negative string length');
    // A string longer than the prefix is fine: its end may still come.
    expect(problemOf(Buffer.concat([strictHeader('ExecuteStatement'), bytes(TType.STRUCT, 0, 1, TType.STRING, 0, 2), i32(10_000_000), Buffer.alloc(100)]), false)).toBeUndefined();
  });
});

// The thrift library's own generic reader (TBinaryProtocol.readMessageBegin + skip), an independent
// implementation of the same walk: whatever checkThriftCall accepts, it reads to the exact end.
const require = createRequire(import.meta.url);
const { TBinaryProtocol } = require('thrift') as { TBinaryProtocol: new (transport: unknown, strictRead?: boolean, strictWrite?: boolean) => ThriftProtocol };
interface ThriftProtocol {
  readMessageBegin(): { mtype: number };
  skip(type: number): void;
}
function libraryReads(body: Buffer): boolean {
  const transport = new BufferReadTransport(body);
  try {
    const protocol = new TBinaryProtocol(transport, false, true);
    const { mtype } = protocol.readMessageBegin();
    if (mtype !== MessageType.CALL && mtype !== MessageType.ONEWAY) return false;
    protocol.skip(TType.STRUCT);
    return transport.position === body.length;
  } catch {
    return false;
  }
}

/** Where checkThriftCall is stricter than the thrift JS library, on purpose (see thrift-check.ts). */
const strictBeyondLibrary = /negative (list|map) size|unknown (field|list element|map element) type 16$|method name length/;

describe('checkThriftCall against the thrift library (deterministic fuzz)', () => {
  it('agrees with TBinaryProtocol.skip on 20,000 mutated calls', () => {
    const random = seededRandom(0x9e3779b9);
    const calls = encodedCalls().map(([, body]) => body);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const original = calls[i % calls.length]!;
      let body = Buffer.from(original);
      const mutations = 1 + Math.floor(random() * 3);
      for (let j = 0; j < mutations; j++) {
        const position = Math.floor(random() * body.length);
        const choice = random();
        if (choice < 0.6) body[position] = Math.floor(random() * 256);
        else if (choice < 0.8) body = body.subarray(0, position);
        else body = Buffer.concat([body.subarray(0, position), bytes(Math.floor(random() * 256)), body.subarray(position)]);
      }
      const check = checkThriftCall(body, true);
      const library = libraryReads(body);
      if (check.kind === 'ok') {
        accepted++;
        expect(library, `accepted, but the library cannot read ${body.toString('hex')}`).toBe(true);
      } else {
        refused++;
        if (library) expect(check.problem, `refused, the library reads it: ${body.toString('hex')}`).toMatch(strictBeyondLibrary);
      }
    }
    // Both outcomes were exercised.
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
  });
});
