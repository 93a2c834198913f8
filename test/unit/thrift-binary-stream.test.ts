import { describe, expect, it } from 'vitest';
import { ThriftDecodeError, encodeCall, encodeReply, readMessageHeader } from '../../src/tools/thrift/hs2.ts';
import { measureMessage } from '../../src/tools/thrift/message-length.ts';
import { MessageReader, MessageTooLargeError, encodeMessageForWire } from '../../src/tools/thrift/message-reader.ts';
import { SaslStatus, encodePlainResponse, encodeSaslMessage, parsePlainResponse, readSaslMessage } from '../../src/tools/thrift/sasl.ts';

const sessionHandle = { sessionId: { guid: Buffer.alloc(16, 1), secret: Buffer.alloc(16, 2) } };
const execute = encodeCall('ExecuteStatement', { sessionHandle, statement: 'select 1', confOverlay: { MEM_LIMIT: '1g', A: 'b' }, runAsync: true });
const fetched = encodeReply('FetchResults', {
  status: { statusCode: 0 },
  hasMoreRows: false,
  results: { startRowOffset: 0, rows: [], columns: [{ stringVal: { values: ['a', 'bb'], nulls: Buffer.alloc(1) } }, { i64Val: { values: [1, 2], nulls: Buffer.alloc(0) } }] },
});

describe('measureMessage', () => {
  it('finds the end of calls and replies with maps, lists, binaries and i64s', () => {
    expect(measureMessage(execute)).toEqual({ length: execute.length });
    expect(measureMessage(fetched)).toEqual({ length: fetched.length });
    const two = Buffer.concat([execute, fetched, Buffer.from([1, 2, 3])]);
    expect(measureMessage(two)).toEqual({ length: execute.length });
    expect(measureMessage(two, execute.length)).toEqual({ length: fetched.length });
  });

  it('reports a lower bound for every truncation, never more than the whole message', () => {
    for (let cut = 0; cut < execute.length; cut++) {
      const measured = measureMessage(execute.subarray(0, cut));
      expect(measured).toHaveProperty('needed');
      const needed = (measured as { needed: number }).needed;
      expect(needed).toBeGreaterThan(cut);
      expect(needed).toBeLessThanOrEqual(execute.length);
    }
  });

  it('jumps straight to the end of a large string', () => {
    const big = encodeCall('ExecuteStatement', { sessionHandle, statement: 'x'.repeat(100_000) });
    expect(measureMessage(big.subarray(0, 200))).toEqual({ needed: expect.any(Number) });
    expect((measureMessage(big.subarray(0, 200)) as { needed: number }).needed).toBeGreaterThan(100_000);
  });

  it('accepts an old-style header', () => {
    const name = Buffer.from('GetInfo');
    const header = Buffer.alloc(4 + name.length + 1 + 4);
    header.writeInt32BE(name.length, 0);
    name.copy(header, 4);
    header.writeInt8(1, 4 + name.length);
    const body = encodeCall('GetInfo', { sessionHandle, infoType: 18 });
    const strictHeaderLength = 4 + 4 + name.length + 4;
    const old = Buffer.concat([header, body.subarray(strictHeaderLength)]);
    expect(measureMessage(old)).toEqual({ length: old.length });
    expect(readMessageHeader(old).method).toBe('GetInfo');
  });

  it('rejects bytes that cannot be a message', () => {
    expect(() => measureMessage(Buffer.from([0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0]))).toThrow(ThriftDecodeError);
    // A negative string size inside the struct.
    const bad = Buffer.from(execute);
    bad.writeInt32BE(-5, 4);
    expect(() => measureMessage(bad)).toThrow(/negative method name size/);
    // An unknown field type.
    const unknown = Buffer.concat([execute.subarray(0, 4 + 4 + 16 + 4), Buffer.from([0x42, 0, 1])]);
    expect(() => measureMessage(unknown)).toThrow(/unknown field type 66/);
  });
});

describe('MessageReader', () => {
  it('splits unframed messages however the bytes arrive', () => {
    const stream = Buffer.concat([execute, fetched, execute]);
    for (const chunkSize of [1, 7, 64, stream.length]) {
      const reader = new MessageReader({ framed: false, maxMessageBytes: 1 << 20 });
      const messages: Buffer[] = [];
      for (let offset = 0; offset < stream.length; offset += chunkSize) {
        reader.push(stream.subarray(offset, offset + chunkSize));
        for (let message = reader.next(); message; message = reader.next()) messages.push(message);
      }
      expect(messages).toEqual([execute, fetched, execute]);
      expect(reader.buffered).toBe(0);
    }
  });

  it('reads messages from SASL frames, including one split over two frames and two in one frame', () => {
    const reader = new MessageReader({ framed: true, maxMessageBytes: 1 << 20 });
    const frames = Buffer.concat([
      encodeMessageForWire(execute, true),
      encodeMessageForWire(fetched.subarray(0, 10), true),
      encodeMessageForWire(Buffer.concat([fetched.subarray(10), execute]), true),
    ]);
    const messages: Buffer[] = [];
    for (let offset = 0; offset < frames.length; offset += 5) {
      reader.push(frames.subarray(offset, offset + 5));
      for (let message = reader.next(); message; message = reader.next()) messages.push(message);
    }
    expect(messages).toEqual([execute, fetched, execute]);
  });

  it('refuses a frame or a message over the limit, and a negative frame size', () => {
    const framed = new MessageReader({ framed: true, maxMessageBytes: 100 });
    framed.push(Buffer.from([0, 0, 1, 0]));
    expect(() => framed.next()).toThrow(MessageTooLargeError);
    const unframed = new MessageReader({ framed: false, maxMessageBytes: 100 });
    unframed.push(encodeCall('ExecuteStatement', { sessionHandle, statement: 'x'.repeat(1000) }).subarray(0, 99));
    expect(() => unframed.next()).toThrow(MessageTooLargeError);
    const negative = new MessageReader({ framed: true, maxMessageBytes: 100 });
    negative.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    expect(() => negative.next()).toThrow(/negative/);
  });
});

describe('SASL negotiation messages', () => {
  it('encodes status, big-endian length and payload like TSaslTransport::sendSaslMessage', () => {
    expect(encodeSaslMessage(SaslStatus.START, 'PLAIN')).toEqual(Buffer.from([1, 0, 0, 0, 5, ...Buffer.from('PLAIN')]));
    expect(encodeSaslMessage(SaslStatus.COMPLETE)).toEqual(Buffer.from([5, 0, 0, 0, 0]));
  });

  it('reads a message only when it is whole', () => {
    const wire = Buffer.concat([encodeSaslMessage(SaslStatus.OK, encodePlainResponse('alice', 'pw')), Buffer.from([9])]);
    expect(readSaslMessage(wire.subarray(0, 4))).toBeUndefined();
    expect(readSaslMessage(wire.subarray(0, 8))).toBeUndefined();
    const message = readSaslMessage(wire)!;
    expect(message.status).toBe(SaslStatus.OK);
    expect(message.length).toBe(wire.length - 1);
    expect(parsePlainResponse(message.payload)).toEqual({ authorizationId: '', user: 'alice', password: 'pw' });
  });

  it('parses RFC 4616 PLAIN responses and rejects malformed ones', () => {
    expect(parsePlainResponse(Buffer.from('admin\0alice\0p\u00e4ss'))).toEqual({ authorizationId: 'admin', user: 'alice', password: 'p\u00e4ss' });
    expect(parsePlainResponse(Buffer.from('alice\0pw'))).toBeUndefined();
    expect(parsePlainResponse(Buffer.from('\0\0pw'))).toBeUndefined();
  });
});
