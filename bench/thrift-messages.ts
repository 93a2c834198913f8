// The bytes the benchmark sends and answers: a real Thrift binary-protocol call (the proxy sniffs
// the method and session secret from it, so a fake body would be answered 400) and a REPLY of any
// size. Only what a benchmark needs; the simulator under src/tools/simulator is the faithful one.
// On the binary HS2 port (NOSASL: messages back to back, no length prefix) the benchmark sends
// calls of one fixed size, binaryRequestBytes, so the fake coordinator finds where each ends
// without walking it, and the call's seqid says how large a reply to send.

class ThriftWriter {
  readonly #parts: Buffer[] = [];

  i8(value: number): this {
    this.#parts.push(Buffer.from([value & 0xff]));
    return this;
  }

  i16(value: number): this {
    const buffer = Buffer.alloc(2);
    buffer.writeInt16BE(value);
    this.#parts.push(buffer);
    return this;
  }

  i32(value: number): this {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32BE(value | 0);
    this.#parts.push(buffer);
    return this;
  }

  binary(value: Buffer | string): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    return this.i32(bytes.length).raw(bytes);
  }

  raw(bytes: Buffer): this {
    this.#parts.push(bytes);
    return this;
  }

  field(type: number, id: number): this {
    return this.i8(type).i16(id);
  }

  stop(): this {
    return this.i8(0);
  }

  get length(): number {
    return this.#parts.reduce((sum, part) => sum + part.length, 0);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

/** Strict binary protocol, version 1, message type CALL. */
export const strictCall = 0x80010001 | 0;
/** The size of every call on the binary HS2 workloads (what impyla sends for a status poll). */
export const binaryRequestBytes = 300;

/** The seqid of a strict-binary message: after the version word, the name's length and the name. */
export function seqidOf(message: Buffer, offset = 0): number {
  return message.readInt32BE(offset + 8 + message.readInt32BE(offset + 4));
}

const STRING = 11;
const STRUCT = 12;
const I32 = 8;
const BOOL = 2;

/**
 * GetOperationStatus(TGetOperationStatusReq{ operationHandle{ operationId{ guid, secret },
 * operationType, hasResultSet } }), padded to `totalBytes` with an unknown string field 99 (a Thrift
 * reader skips it). 300 B is about what impyla sends for a status poll with a long statement id.
 */
export function operationStatusCall(totalBytes: number, sessionSecret: Buffer, seqid = 1): Buffer {
  const head = new ThriftWriter()
    .i32(strictCall)
    .binary('GetOperationStatus')
    .i32(seqid)
    .field(STRUCT, 1) // args.req
    .field(STRUCT, 1) // operationHandle
    .field(STRUCT, 1) // operationId: THandleIdentifier
    .field(STRING, 1)
    .binary(Buffer.alloc(16, 0x11)) // guid
    .field(STRING, 2)
    .binary(sessionSecret) // secret: the session key the proxy sniffs
    .stop()
    .field(I32, 2)
    .i32(0) // operationType EXECUTE_STATEMENT
    .field(BOOL, 3)
    .i8(1) // hasResultSet
    .stop() // operationHandle
    .stop(); // req
  const overhead = head.length + 3 + 4 + 1; // field 99 header, its length, args STOP
  const padding = totalBytes - overhead;
  if (padding < 0) throw new RangeError(`a GetOperationStatus call needs at least ${overhead} bytes`);
  return head.field(STRING, 99).binary(Buffer.alloc(padding, 0x61)).stop().toBuffer();
}

/** A FetchResults REPLY of exactly `totalBytes`: result{ success{ 1: padding } }. */
export function fetchResultsReply(totalBytes: number): Buffer {
  const head = new ThriftWriter().i32(0x80010002).binary('FetchResults').i32(1).field(STRUCT, 0);
  const overhead = head.length + 3 + 4 + 1 + 1; // field 1 header, its length, two STOPs
  const padding = Math.max(0, totalBytes - overhead);
  return head.field(STRING, 1).binary(Buffer.alloc(padding, 0x62)).stop().stop().toBuffer();
}
