// Hand-made Thrift binary-protocol bytes (apache/thrift doc/specs/thrift-binary-protocol.md), written
// independently of the proxy's reader and of the generated code, for shapes no encoder would write:
// truncated, garbage and hostile bodies.

export const TType = { STOP: 0, BOOL: 2, BYTE: 3, DOUBLE: 4, I16: 6, I32: 8, I64: 10, STRING: 11, STRUCT: 12, MAP: 13, SET: 14, LIST: 15 } as const;

export const bytes = (...values: number[]): Buffer => Buffer.from(values);

export function i16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}

export function i32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

export function i64(value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt(value));
  return buffer;
}

export const string = (value: string | Buffer): Buffer => {
  const content = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([i32(content.length), content]);
};

export const field = (type: number, id: number, value: Buffer): Buffer => Buffer.concat([bytes(type), i16(id), value]);
export const struct = (...fields: Buffer[]): Buffer => Buffer.concat([...fields, bytes(TType.STOP)]);
export const map = (keyType: number, valueType: number, entries: Buffer[][]): Buffer =>
  Buffer.concat([bytes(keyType, valueType), i32(entries.length), ...entries.flat()]);
export const list = (elementType: number, elements: Buffer[]): Buffer => Buffer.concat([bytes(elementType), i32(elements.length), ...elements]);

export const MessageType = { CALL: 1, REPLY: 2, EXCEPTION: 3, ONEWAY: 4 } as const;

/** A strict header: 0x80 0x01 0x00 type, name, seqid. */
export function strictHeader(name: string, type: number = MessageType.CALL, seqid = 0): Buffer {
  return Buffer.concat([bytes(0x80, 0x01, 0x00, type), string(name), i32(seqid)]);
}

/** An old-style header: name, type byte, seqid. */
export function oldHeader(name: string, type: number = MessageType.CALL, seqid = 0): Buffer {
  return Buffer.concat([string(name), bytes(type), i32(seqid)]);
}

/** `<method>_args { 1: request }`. */
export const call = (name: string, request: Buffer, header = strictHeader): Buffer => Buffer.concat([header(name, MessageType.CALL), struct(field(TType.STRUCT, 1, request))]);
