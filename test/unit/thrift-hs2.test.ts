import { describe, expect, it } from 'vitest';
import {
  ApplicationExceptionType,
  MessageType,
  StatusCode,
  ThriftApplicationError,
  ThriftDecodeError,
  decodeCall,
  decodeReply,
  encodeCall,
  encodeException,
  encodeReply,
  formatImpalaId,
  handleCall,
  i64ToNumber,
  parseImpalaId,
  readMessageHeader,
  type Hs2Handler,
} from '../../src/tools/thrift/hs2.ts';

const guid = Buffer.from([...Array(16).keys()]);
const secret = Buffer.alloc(16, 0xab);
const sessionHandle = { sessionId: { guid, secret } };

describe('formatImpalaId', () => {
  it('prints each half byte-reversed like impalad PrintId', () => {
    expect(formatImpalaId(guid)).toBe('0706050403020100:0f0e0d0c0b0a0908');
  });
  it('round trips through parseImpalaId', () => {
    const id = Buffer.from('be40a2618203ff7bbeacd4b5d28f7692', 'hex');
    expect(parseImpalaId(formatImpalaId(id))).toEqual(id);
  });
});

describe('encodeCall', () => {
  it('writes a strict CALL header with seqid 0', () => {
    const body = encodeCall('OpenSession', { client_protocol: 5 });
    expect(body.subarray(0, 4)).toEqual(Buffer.from([0x80, 0x01, 0x00, 0x01]));
    expect(readMessageHeader(body)).toEqual({ method: 'OpenSession', type: MessageType.CALL, seqid: 0 });
  });

  it('puts the session guid and secret at the offsets of research §5', () => {
    const body = encodeCall('ExecuteStatement', { sessionHandle, statement: 'select 1' });
    expect(body.subarray(44, 60)).toEqual(guid);
    expect(body.subarray(67, 83)).toEqual(secret);
  });

  it('round trips a request through decodeCall', () => {
    const body = encodeCall('ExecuteStatement', { sessionHandle, statement: 'select 1', confOverlay: { a: 'b' } }, 9);
    const call = decodeCall(body);
    expect(call.method).toBe('ExecuteStatement');
    expect(call.seqid).toBe(9);
    if (call.method !== 'ExecuteStatement') throw new Error('narrowing');
    expect(call.request.statement).toBe('select 1');
    expect(call.request.confOverlay).toEqual({ a: 'b' });
    expect(call.request.sessionHandle.sessionId.guid).toEqual(guid);
  });

  it('accepts an old-style (non-strict) header like impalad does', () => {
    const strict = encodeCall('GetInfo', { sessionHandle, infoType: 18 });
    const nameLength = strict.readInt32BE(4);
    const name = strict.subarray(8, 8 + nameLength);
    const rest = strict.subarray(8 + nameLength + 4);
    const length = Buffer.alloc(4);
    length.writeInt32BE(nameLength);
    const old = Buffer.concat([length, name, Buffer.from([1, 0, 0, 0, 3]), rest]);
    const call = decodeCall(old);
    expect(call.method).toBe('GetInfo');
    expect(call.seqid).toBe(3);
  });
});

describe('encodeReply / decodeReply', () => {
  it('round trips an OpenSession reply with a configuration map', () => {
    const body = encodeReply('OpenSession', {
      status: { statusCode: StatusCode.SUCCESS },
      serverProtocolVersion: 5,
      sessionHandle,
      configuration: { http_addr: '127.0.0.1:25000' },
    });
    expect(body.subarray(0, 4)).toEqual(Buffer.from([0x80, 0x01, 0x00, 0x02]));
    const reply = decodeReply('OpenSession', body);
    expect(reply.serverProtocolVersion).toBe(5);
    expect(reply.sessionHandle?.sessionId.secret).toEqual(secret);
    expect(reply.configuration).toEqual({ http_addr: '127.0.0.1:25000' });
  });

  it('round trips columnar string and i64 results', () => {
    const body = encodeReply('FetchResults', {
      status: { statusCode: 0 },
      hasMoreRows: false,
      results: {
        startRowOffset: 0,
        rows: [],
        columns: [
          { stringVal: { values: ['a', 'bc'], nulls: Buffer.alloc(0) } },
          { i64Val: { values: [1, 2 ** 40], nulls: Buffer.from([0]) } },
        ],
      },
    });
    const reply = decodeReply('FetchResults', body);
    expect(reply.hasMoreRows).toBe(false);
    expect(reply.results?.columns?.[0]?.stringVal?.values).toEqual(['a', 'bc']);
    expect(reply.results?.columns?.[1]?.i64Val?.values.map(i64ToNumber)).toEqual([1, 2 ** 40]);
  });

  it('round trips GetExecSummary and GetRuntimeProfile with the field ids impala-shell reads', () => {
    const operationHandle = { operationId: { guid, secret }, operationType: 0, hasResultSet: true };
    const call = decodeCall(encodeCall('GetRuntimeProfile', { operationHandle, sessionHandle, format: 3, include_query_attempts: true }));
    expect(call).toMatchObject({ method: 'GetRuntimeProfile', request: { format: 3, include_query_attempts: true } });
    const summary = decodeReply(
      'GetExecSummary',
      encodeReply('GetExecSummary', {
        status: { statusCode: 0 },
        summary: {
          state: 5,
          status: { status_code: 3, error_msgs: ['Cancelled'] },
          nodes: [{ node_id: -1, fragment_idx: 0, label: 'F00:ROOT', num_children: 1, exec_stats: [{ cardinality: -1, latency_ns: 2 ** 40 }] }],
          progress: { total_fragment_instances: 1, num_completed_fragment_instances: 0 },
        },
      }),
    ).summary!;
    expect(summary.state).toBe(5);
    expect(summary.status).toEqual({ status_code: 3, error_msgs: ['Cancelled'] });
    expect(summary.nodes![0]).toMatchObject({ node_id: -1, label: 'F00:ROOT', num_children: 1 });
    expect(i64ToNumber(summary.nodes![0]!.exec_stats![0]!.latency_ns!)).toBe(2 ** 40);
    expect(i64ToNumber(summary.nodes![0]!.exec_stats![0]!.cardinality!)).toBe(-1);
    expect(i64ToNumber(summary.progress!.total_fragment_instances!)).toBe(1);
    const profile = decodeReply('GetRuntimeProfile', encodeReply('GetRuntimeProfile', { status: { statusCode: 0 }, profile: 'Query (id=x):', failed_profiles: ['a'] }));
    expect(profile).toMatchObject({ profile: 'Query (id=x):', failed_profiles: ['a'] });
  });

  it('keeps the exact invalid-session error text', () => {
    const errorMessage = `Invalid session id: ${formatImpalaId(guid)}\n`;
    const body = encodeReply('CloseSession', { status: { statusCode: StatusCode.ERROR, sqlState: 'HY000', errorMessage } });
    expect(decodeReply('CloseSession', body).status).toMatchObject({ statusCode: 3, sqlState: 'HY000', errorMessage, errorCode: null });
  });

  it('throws ThriftApplicationError for an EXCEPTION message, with its type', () => {
    const body = encodeException('GetInfo', 0, ApplicationExceptionType.UNKNOWN_METHOD, 'nope');
    expect(() => decodeReply('GetInfo', body)).toThrow(ThriftApplicationError);
    try {
      decodeReply('GetInfo', body);
    } catch (error) {
      expect((error as ThriftApplicationError).type).toBe(ApplicationExceptionType.UNKNOWN_METHOD);
      expect((error as ThriftApplicationError).message).toBe('nope');
    }
  });

  it('rejects a reply for another method and truncated bodies', () => {
    const body = encodeReply('CloseSession', { status: { statusCode: 0 } });
    expect(() => decodeReply('GetInfo', body)).toThrow(ThriftDecodeError);
    expect(() => decodeReply('CloseSession', body.subarray(0, body.length - 3))).toThrow(ThriftDecodeError);
    expect(() => decodeCall(Buffer.from('GET / HTTP/1.1'))).toThrow(ThriftDecodeError);
  });
});

describe('handleCall', () => {
  const handler: Hs2Handler<{ user: string }> = {
    GetInfo: (request, context) => ({
      status: { statusCode: 0 },
      infoValue: { stringValue: `${context.user}:${request.infoType}` },
    }),
    CloseSession: () => {
      throw new Error('broken');
    },
  };

  it('dispatches to the handler and echoes the seqid', async () => {
    const reply = await handleCall(encodeCall('GetInfo', { sessionHandle, infoType: 18 }, 42), handler, { user: 'u' });
    expect(readMessageHeader(reply)).toEqual({ method: 'GetInfo', type: MessageType.REPLY, seqid: 42 });
    expect(decodeReply('GetInfo', reply).infoValue.stringValue).toBe('u:18');
  });

  it('answers UNKNOWN_METHOD for a method without implementation', async () => {
    const reply = await handleCall(encodeCall('GetLog', { operationHandle: { operationId: { guid, secret }, operationType: 0, hasResultSet: true } }), handler, { user: 'u' });
    expect(() => decodeReply('GetLog', reply)).toThrow(/Unknown function GetLog/);
  });

  it('answers UNKNOWN_METHOD for a method outside the IDL subset', async () => {
    const body = Buffer.from(encodeCall('GetInfo', { sessionHandle, infoType: 1 }));
    const renamed = Buffer.concat([Buffer.from([0x80, 1, 0, 1, 0, 0, 0, 7]), Buffer.from('GetInfX'), body.subarray(15)]);
    const reply = await handleCall(renamed, handler, { user: 'u' });
    expect(readMessageHeader(reply)).toMatchObject({ method: 'GetInfX', type: MessageType.EXCEPTION });
  });

  it('turns a handler error into an INTERNAL_ERROR exception reply', async () => {
    const reply = await handleCall(encodeCall('CloseSession', { sessionHandle }), handler, { user: 'u' });
    expect(() => decodeReply('CloseSession', reply)).toThrow(/broken/);
  });
});
