// Is an hs2 request body a well-formed Thrift binary-protocol call? (issue 10 item 4.) impalad drops
// the connection on a body it cannot parse, which the proxy would otherwise see as a coordinator
// reset, replay to a peer and count against both. So the proxy walks the body by type, without the
// schema, before it reaches any coordinator (apache/thrift doc/specs/thrift-binary-protocol.md):
//
//   message  = header struct                    (nothing after it)
//   header   = 0x8001 0x00 type name:string seqid:i32     (strict)
//            | name-length:i32>=0 name type:i8 seqid:i32  (old-style; impalad's TBinaryProtocolFactory
//                                                          has strict_read=false, research/impala-protocol.md)
//   struct   = { type:i8 id:i16 value } 0x00
//
// Every length and container count is checked against the bytes left before anything is skipped or
// looped over, so a count of 2^31 cannot spin; nesting stops at maxNestingDepth (thrift-reader.ts, the
// sniffer's limit too), and only the types of the spec are accepted. A body streamed
// past maxReplayBytes is checked as far as it goes: running out of bytes is no problem then.
//
// It reads bytes by index and allocates one small object per call, nothing per field (a problem
// allocates its message): 170-440 ns per typical hs2 call, bench/thrift-walk.ts.
import { TType, fixedBytes, isCallType, maxNestingDepth } from './thrift-reader.ts';

export type ThriftCheck = { readonly kind: 'ok' } | { readonly kind: 'invalid'; /** Short, for the 400 body and the log. */ readonly problem: string };

export const wellFormed: ThriftCheck = Object.freeze({ kind: 'ok' });

export interface ThriftCheckOptions {
  /**
   * Refuse a bool that is not 0 or 1. Off by default: impalad's C++ TBinaryProtocol reads any
   * non-zero byte as true (`value = *(int8_t*)b != 0`), so such a body is not malformed to it.
   */
  readonly isBoolStrict?: boolean;
}

/** hs2 method names are a few tens of bytes; a longer "name" is not an hs2 call. */
export const maxMethodNameBytes = 1024;

// Module-level consts, as before: no property load per use. UUID (16) is left out on purpose:
// Thrift 0.16, which impalad runs, does not know it.
const { STOP, BOOL, STRING, STRUCT, MAP, SET, LIST } = TType;
/** `(first i32) & 0xffff0000` of a strict header, as a signed 32-bit value. */
const VERSION_1 = 0x80010000 | 0;

/**
 * Smallest encoding of a value of each type (0: not a Thrift type): bounds container counts. A
 * container of a fixed-size type (fixedBytes) is skipped without a loop.
 */
const minimumBytes = Uint8Array.from(fixedBytes);
minimumBytes[STRING] = 4; // length
minimumBytes[STRUCT] = 1; // STOP
minimumBytes[MAP] = 6; // key type, value type, count
minimumBytes[SET] = 5; // element type, count
minimumBytes[LIST] = 5;

/**
 * Checks `bytes`, the whole body when `isComplete`, else its first bytes. Pure; the proxy answers
 * 400 for `invalid` and sends nothing to a coordinator.
 */
export function checkThriftCall(bytes: Buffer, isComplete: boolean, options?: ThriftCheckOptions): ThriftCheck {
  const walk = new Walk(bytes, isComplete, options?.isBoolStrict === true);
  if (walk.header() && walk.struct(1) && isComplete && walk.offset !== bytes.length) {
    walk.problem = `${bytes.length - walk.offset} bytes after the end of the message`;
  }
  return walk.problem === undefined ? wellFormed : { kind: 'invalid', problem: walk.problem };
}

/**
 * One walk. Each step returns false to stop: with `problem` set, or (a prefix) because the bytes ran
 * out, which is fine.
 */
class Walk {
  readonly buffer: Buffer;
  readonly length: number;
  readonly isComplete: boolean;
  readonly isBoolStrict: boolean;
  offset = 0;
  problem: string | undefined = undefined;

  constructor(buffer: Buffer, isComplete: boolean, isBoolStrict: boolean) {
    this.buffer = buffer;
    this.length = buffer.length;
    this.isComplete = isComplete;
    this.isBoolStrict = isBoolStrict;
  }

  /** Whether `bytes` more are there; a complete body that ends early has a problem. */
  has(bytes: number, inside: string): boolean {
    if (this.offset + bytes <= this.length) return true;
    if (this.isComplete) this.problem = `the body ends inside ${inside}`;
    return false;
  }

  i32(): number {
    const b = this.buffer;
    const o = this.offset;
    this.offset = o + 4;
    return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  }

  fail(problem: string): false {
    this.problem = problem;
    return false;
  }

  header(): boolean {
    if (!this.has(4, 'the message header')) return false;
    const first = this.i32();
    if (first < 0) {
      if ((first & 0xffff0000) !== VERSION_1) return this.fail('not a Thrift binary-protocol message (bad version)');
      if (!isCallType(first & 0xff)) return this.fail(`message type ${first & 0xff} is not a call`);
      if (!this.has(4, 'the message header')) return false;
      const nameLength = this.i32();
      if (nameLength < 0 || nameLength > maxMethodNameBytes) return this.fail('method name length out of range');
      if (!this.has(nameLength + 4, 'the message header')) return false;
      this.offset += nameLength + 4; // name, seqid
      return true;
    }
    // Old-style: the first i32 is the name's length.
    if (first > maxMethodNameBytes) return this.fail('not a Thrift binary-protocol message (method name length out of range)');
    if (!this.has(first + 1, 'the message header')) return false;
    this.offset += first;
    const type = this.buffer[this.offset++]!;
    if (!isCallType(type)) return this.fail(`message type ${type} is not a call`);
    if (!this.has(4, 'the message header')) return false;
    this.offset += 4;
    return true;
  }

  struct(depth: number): boolean {
    if (depth > maxNestingDepth) return this.fail(`nested deeper than ${maxNestingDepth}`);
    const buffer = this.buffer;
    for (;;) {
      if (!this.has(1, 'a struct')) return false;
      const type = buffer[this.offset++]!;
      if (type === STOP) return true;
      if (minimumBytes[type] === 0) return this.fail(`unknown field type ${type}`);
      if (!this.has(2, 'a field header')) return false;
      this.offset += 2; // field id: any i16 (the IDL compiler gives fields without an id negative ones)
      if (!this.value(type, depth)) return false;
    }
  }

  value(type: number, depth: number): boolean {
    const size = fixedBytes[type]!;
    if (size !== 0) {
      if (!this.has(size, 'a field')) return false;
      if (type === BOOL && this.isBoolStrict && this.buffer[this.offset]! > 1) return this.fail('a bool that is neither 0 nor 1');
      this.offset += size;
      return true;
    }
    switch (type) {
      case STRING:
        return this.binary();
      case STRUCT:
        return this.struct(depth + 1);
      case MAP:
        return this.map(depth + 1);
      default: // SET, LIST: the caller checked the type
        return this.list(depth + 1);
    }
  }

  binary(): boolean {
    if (!this.has(4, 'a string length')) return false;
    const length = this.i32();
    if (length < 0) return this.fail('negative string length');
    if (this.offset + length > this.length) {
      return this.isComplete ? this.fail(`string length ${length} runs past the end of the body`) : false;
    }
    this.offset += length;
    return true;
  }

  map(depth: number): boolean {
    if (depth > maxNestingDepth) return this.fail(`nested deeper than ${maxNestingDepth}`);
    if (!this.has(6, 'a map header')) return false;
    const keyType = this.buffer[this.offset]!;
    const valueType = this.buffer[this.offset + 1]!;
    this.offset += 2;
    const count = this.i32();
    if (count < 0) return this.fail('negative map size');
    // An empty container's element types are never read (C++ and JS skip() alike).
    if (count === 0) return true;
    const keyBytes = minimumBytes[keyType]!;
    const valueBytes = minimumBytes[valueType]!;
    if (keyBytes === 0 || valueBytes === 0) return this.fail(`unknown map element type ${keyBytes === 0 ? keyType : valueType}`);
    if (!this.fits(count, keyBytes + valueBytes, 'map')) return false;
    for (let i = 0; i < count; i++) {
      if (!this.value(keyType, depth) || !this.value(valueType, depth)) return false;
    }
    return true;
  }

  list(depth: number): boolean {
    if (depth > maxNestingDepth) return this.fail(`nested deeper than ${maxNestingDepth}`);
    if (!this.has(5, 'a list header')) return false;
    const elementType = this.buffer[this.offset++]!;
    const count = this.i32();
    if (count < 0) return this.fail('negative list size');
    if (count === 0) return true;
    const elementBytes = minimumBytes[elementType]!;
    if (elementBytes === 0) return this.fail(`unknown list element type ${elementType}`);
    if (!this.fits(count, elementBytes, 'list')) return false;
    const size = fixedBytes[elementType]!;
    if (size !== 0 && !(elementType === BOOL && this.isBoolStrict)) {
      // Nothing inside to check. A prefix that ends inside the list stops at the next read.
      this.offset += count * size;
      return true;
    }
    for (let i = 0; i < count; i++) if (!this.value(elementType, depth)) return false;
    return true;
  }

  /**
   * Before looping over `count` elements of at least `elementBytes` each: in a complete body they
   * must fit in what is left. A prefix is walked as far as it goes (every element takes a byte at
   * least, so the loop ends with the bytes).
   */
  fits(count: number, elementBytes: number, what: string): boolean {
    if (count * elementBytes <= this.length - this.offset) return true;
    return this.isComplete ? this.fail(`${what} size ${count} does not fit in the rest of the body`) : true;
  }
}
