// Where one binary-protocol message ends in a byte stream. On the binary hs2 port Thrift messages
// arrive back to back with no length prefix (TBufferedTransport, or the payloads of SASL frames),
// so a reader has to walk the message's structure to find its end, as the C++ server does by
// reading it (apache/thrift doc/specs/thrift-binary-protocol.md). The walk reads lengths and
// skips values without decoding them, so it costs little next to the decode that follows.
import { ThriftDecodeError } from './hs2.ts';

/** TType ids (thrift.Thrift.Type). */
const T = { STOP: 0, BOOL: 2, BYTE: 3, DOUBLE: 4, I16: 6, I32: 8, I64: 10, STRING: 11, STRUCT: 12, MAP: 13, SET: 14, LIST: 15, UUID: 16 } as const;
const FIXED_SIZE: Partial<Record<number, number>> = { [T.BOOL]: 1, [T.BYTE]: 1, [T.DOUBLE]: 8, [T.I16]: 2, [T.I32]: 4, [T.I64]: 8, [T.UUID]: 16 };
const VERSION_MASK = 0xffff0000 | 0;
const VERSION_1 = 0x80010000 | 0;
/** TBinaryProtocol's skip() limit. */
const MAX_DEPTH = 64;

/** Thrown inside the walk when the buffer ends first; `needed` is a lower bound of the total length. */
class Incomplete {
  readonly needed: number;
  constructor(needed: number) {
    this.needed = needed;
  }
}

class Walker {
  readonly #buffer: Buffer;
  position: number;

  constructor(buffer: Buffer, start: number) {
    this.#buffer = buffer;
    this.position = start;
  }

  #need(length: number): void {
    if (this.position + length > this.#buffer.length) throw new Incomplete(this.position + length);
  }

  skipBytes(length: number): void {
    this.#need(length);
    this.position += length;
  }

  byte(): number {
    this.#need(1);
    return this.#buffer.readInt8(this.position++);
  }

  i32(): number {
    this.#need(4);
    const value = this.#buffer.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  size(what: string): number {
    const size = this.i32();
    if (size < 0) throw new ThriftDecodeError(`negative ${what} size ${size}`);
    return size;
  }

  value(type: number, depth: number): void {
    if (depth > MAX_DEPTH) throw new ThriftDecodeError('maximum nesting depth exceeded');
    const fixed = FIXED_SIZE[type];
    if (fixed !== undefined) return this.skipBytes(fixed);
    switch (type) {
      case T.STRING:
        return this.skipBytes(this.size('string'));
      case T.STRUCT:
        for (let fieldType = this.byte(); fieldType !== T.STOP; fieldType = this.byte()) {
          this.skipBytes(2); // field id
          this.value(fieldType, depth + 1);
        }
        return;
      case T.MAP: {
        const keyType = this.byte();
        const valueType = this.byte();
        for (let count = this.size('map'); count > 0; count--) {
          this.value(keyType, depth + 1);
          this.value(valueType, depth + 1);
        }
        return;
      }
      case T.SET:
      case T.LIST: {
        const elementType = this.byte();
        for (let count = this.size('list'); count > 0; count--) this.value(elementType, depth + 1);
        return;
      }
      default:
        throw new ThriftDecodeError(`unknown field type ${type}`);
    }
  }
}

/**
 * The length of the binary-protocol message that starts at `start` in `buffer` (strict or
 * old-style header, then one struct): `{ length }` when it is all there, `{ needed }` (a lower
 * bound of the bytes from `start`) when the buffer ends first. Throws ThriftDecodeError for bytes
 * that cannot be a message (bad version, negative size, unknown type).
 */
export function measureMessage(buffer: Buffer, start = 0): { length: number } | { needed: number } {
  const walker = new Walker(buffer, start);
  try {
    const header = walker.i32();
    if (header < 0) {
      if ((header & VERSION_MASK) !== VERSION_1) throw new ThriftDecodeError(`bad protocol version 0x${(header >>> 0).toString(16)}`);
      walker.skipBytes(walker.size('method name'));
    } else {
      walker.skipBytes(header + 1); // old-style: name bytes, then the message type
    }
    walker.skipBytes(4); // seqid
    walker.value(T.STRUCT, 1);
    return { length: walker.position - start };
  } catch (error) {
    if (error instanceof Incomplete) return { needed: error.needed - start };
    throw error;
  }
}
