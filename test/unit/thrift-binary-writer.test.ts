// BinaryWriter must produce exactly the bytes of thrift's own TBinaryProtocol (strict write).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BinaryWriter } from '../../src/tools/thrift/binary-writer.ts';
import { BufferWriteTransport } from '../../src/tools/thrift/buffer-transport.ts';
import { decodeReply, encodeCall, encodeException, encodeReply } from '../../src/tools/thrift/hs2.ts';

const require = createRequire(import.meta.url);
const cli = require('../../src/tools/thrift/gen/TCLIService_types.js') as Record<string, new (args: object) => { write(p: unknown): void }>;
const thrift = require('thrift') as {
  TBinaryProtocol: new (transport: unknown, strictRead?: boolean, strictWrite?: boolean) => Record<string, (...args: unknown[]) => void>;
  Int64: new (value: number) => { buffer: Buffer };
};

/** Runs the same calls against thrift's protocol and BinaryWriter. */
function both(write: (protocol: Record<string, (...args: unknown[]) => void>) => void): [Buffer, Buffer] {
  const transport = new BufferWriteTransport();
  const reference = new thrift.TBinaryProtocol(transport, false, true);
  write(reference);
  const writer = new BinaryWriter(8);
  write(writer as unknown as Record<string, (...args: unknown[]) => void>);
  return [transport.toBuffer(), Buffer.from(writer.toBuffer())];
}

describe('BinaryWriter', () => {
  it("writes every type as thrift's TBinaryProtocol does, growing past its first buffer", () => {
    const [reference, ours] = both((p) => {
      p.writeMessageBegin!('FetchResults', 2, 7);
      p.writeStructBegin!('x');
      p.writeFieldBegin!('a', 8, 1);
      p.writeI32!(-123456);
      p.writeFieldBegin!('b', 10, 2);
      p.writeI64!(-1);
      p.writeI64!(2 ** 53 - 1);
      p.writeI64!(new thrift.Int64(-42));
      p.writeFieldBegin!('c', 6, -3);
      p.writeI16!(-2);
      p.writeByte!(-1);
      p.writeBool!(true);
      p.writeBool!(false);
      p.writeDouble!(-0.5);
      p.writeString!('h\u00e9llo \u{1f600}');
      p.writeString!('');
      p.writeBinary!(Buffer.from([0, 1, 2, 255]));
      p.writeMapBegin!(11, 11, 2);
      p.writeListBegin!(12, 1);
      p.writeSetBegin!(8, 3);
      p.writeString!('x'.repeat(5000));
      p.writeFieldStop!();
      p.writeStructEnd!();
      p.writeMessageEnd!();
    });
    expect(ours).toEqual(reference);
  });

  it('round trips whole messages (an OpenSession reply with a large map, an exception)', () => {
    const configuration = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`OPTION_${i}`, String(i)]));
    const reply = encodeReply('OpenSession', {
      status: { statusCode: 0 },
      serverProtocolVersion: 5,
      sessionHandle: { sessionId: { guid: Buffer.alloc(16, 1), secret: Buffer.alloc(16, 2) } },
      configuration,
    });
    expect(decodeReply('OpenSession', reply).configuration).toEqual(configuration);
    expect(() => decodeReply('GetInfo', encodeException('GetInfo', 3, 1, 'Unknown function GetInfo'))).toThrow('Unknown function GetInfo');
    // The generated struct written through thrift's protocol, wrapped as <Method>_args {1: req}.
    const request = { client_protocol: 5, username: 'alice', configuration: { MEM_LIMIT: '1g', 'use:database': 'default' } };
    const [reference] = both((p) => {
      p.writeMessageBegin!('OpenSession', 1, 0);
      p.writeStructBegin!('');
      p.writeFieldBegin!('req', 12, 1);
      new cli.TOpenSessionReq(request).write(p);
      p.writeFieldEnd!();
      p.writeFieldStop!();
      p.writeStructEnd!();
      p.writeMessageEnd!();
    });
    expect(encodeCall('OpenSession', request)).toEqual(reference);
  });
});
