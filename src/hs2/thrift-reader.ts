// A minimal reader for the Thrift binary protocol (apache/thrift doc/specs/thrift-binary-protocol.md):
// just enough to walk a message header and skip through structs without decoding what we do not
// need. Reads stop with `undefined` when the buffer ends early; a prefix is all we have.


export const TType = {
  STOP: 0,
  BOOL: 2,
  BYTE: 3,
  DOUBLE: 4,
  I16: 6,
  I32: 8,
  I64: 10,
  STRING: 11,
  STRUCT: 12,
  MAP: 13,
  SET: 14,
  LIST: 15,
} as const;

export const MessageType = { CALL: 1, REPLY: 2, EXCEPTION: 3, ONEWAY: 4 } as const;

const { CALL, ONEWAY } = MessageType;

/** A message a client sends (a call), not one a server sends (a reply or an exception). */
export function isCallType(type: number): boolean {
  return type === CALL || type === ONEWAY;
}

/**
 * How deep structs and containers may nest: Thrift's DEFAULT_RECURSION_DEPTH
 * (doc/specs/thrift-tconfiguration.md). One limit for both walkers, so the sniffer reads every body
 * thrift-check.ts accepts: the check counts the `<Method>_args` struct as level 1, skip() counts
 * from the value it is given, which is always inside a struct, so it never counts deeper.
 */
export const maxNestingDepth = 64;

/** Types whose every value has the same size, by type byte, in bytes (0: not such a type). */
export const fixedBytes = new Uint8Array(256);
fixedBytes[TType.BOOL] = 1;
fixedBytes[TType.BYTE] = 1;
fixedBytes[TType.DOUBLE] = 8;
fixedBytes[TType.I16] = 2;
fixedBytes[TType.I32] = 4;
fixedBytes[TType.I64] = 8;

/** Thrown internally when the prefix ends; callers see `undefined`. */
class Truncated extends Error {}
const truncated = new Truncated();

export class ThriftCursor {
  readonly buffer: Buffer;
  offset: number;

  constructor(buffer: Buffer, offset = 0) {
    this.buffer = buffer;
    this.offset = offset;
  }

  #need(bytes: number): void {
    if (this.offset + bytes > this.buffer.length) throw truncated;
  }

  byte(): number {
    this.#need(1);
    return this.buffer[this.offset++]!;
  }

  i16(): number {
    this.#need(2);
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  i32(): number {
    this.#need(4);
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** Length-prefixed binary: returns [start, end) offsets, not a copy. */
  binary(): [number, number] {
    const length = this.i32();
    if (length < 0) throw new RangeError('negative length');
    this.#need(length);
    const start = this.offset;
    this.offset += length;
    return [start, this.offset];
  }

  /** Reads a field header; returns [type, id]. id is 0 for STOP. */
  fieldHeader(): [number, number] {
    const type = this.byte();
    return type === TType.STOP ? [type, 0] : [type, this.i16()];
  }

  skip(type: number, depth = 0): void {
    if (depth > maxNestingDepth) throw new RangeError('nesting too deep');
    const size = fixedBytes[type]!;
    if (size !== 0) {
      this.#need(size);
      this.offset += size;
      return;
    }
    switch (type) {
      case TType.STRING:
        this.binary();
        return;
      case TType.STRUCT:
        for (;;) {
          const [fieldType] = this.fieldHeader();
          if (fieldType === TType.STOP) return;
          this.skip(fieldType, depth + 1);
        }
      case TType.MAP: {
        const keyType = this.byte();
        const valueType = this.byte();
        const count = this.i32();
        for (let i = 0; i < count; i++) {
          this.skip(keyType, depth + 1);
          this.skip(valueType, depth + 1);
        }
        return;
      }
      case TType.SET:
      case TType.LIST: {
        const elementType = this.byte();
        const count = this.i32();
        for (let i = 0; i < count; i++) this.skip(elementType, depth + 1);
        return;
      }
      default:
        throw new RangeError(`unknown thrift type ${type}`);
    }
  }

  /**
   * Inside a struct: advances to the field with `id` and `type`, skipping others. Returns false when
   * the struct ends without it (the cursor is then past the STOP).
   */
  seekField(id: number, type: number): boolean {
    for (;;) {
      const [fieldType, fieldId] = this.fieldHeader();
      if (fieldType === TType.STOP) return false;
      if (fieldId === id && fieldType === type) return true;
      this.skip(fieldType);
    }
  }
}

export interface MessageHeader {
  readonly name: string;
  readonly type: number;
  /** Offset of the first byte after the header (the args or result struct). */
  readonly bodyOffset: number;
}

/** Reads a strict (0x8001…) or old-style message header. */
export function readMessageHeader(buffer: Buffer): MessageHeader | undefined {
  return attempt(() => {
    const cursor = new ThriftCursor(buffer);
    const first = cursor.i32();
    let name: string;
    let type: number;
    if (first < 0) {
      if ((first & 0xffff0000) >>> 0 !== 0x80010000) throw new RangeError('bad thrift version');
      type = first & 0xff;
      const [start, end] = cursor.binary();
      name = buffer.toString('latin1', start, end);
    } else {
      cursor.offset = 0;
      const [start, end] = cursor.binary();
      name = buffer.toString('latin1', start, end);
      type = cursor.byte();
    }
    cursor.i32(); // seqid
    return { name, type, bodyOffset: cursor.offset };
  });
}

/** Runs a read; a prefix that ends early gives undefined; malformed data throws RangeError. */
export function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error === truncated) return undefined;
    throw error;
  }
}
