// Minimal in-memory transports for TBinaryProtocol: every hs2-http message is one whole HTTP
// body, so neither side needs the thrift library's buffered/framed stream machinery.

/** Collects what the protocol writes; `toBuffer()` returns the message. */
export class BufferWriteTransport {
  #chunks: Buffer[] = [];
  #length = 0;

  write(chunk: Buffer | string): void {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.#chunks.push(buffer);
    this.#length += buffer.length;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks, this.#length);
  }

  flush(): void {}
  setCurrSeqId(): void {}
  isOpen(): boolean {
    return true;
  }
  open(): void {}
  close(): void {}
}

/** Serves reads from one Buffer; running past its end is a truncated message. */
export class BufferReadTransport {
  readonly #buffer: Buffer;
  #position = 0;

  constructor(buffer: Buffer) {
    this.#buffer = buffer;
  }

  ensureAvailable(length: number): void {
    if (length < 0 || this.#position + length > this.#buffer.length) {
      throw new RangeError(`message truncated: needs ${length} more bytes at offset ${this.#position} of ${this.#buffer.length}`);
    }
  }

  /** A copy, so a decoded guid never pins a multi-megabyte request body. */
  read(length: number): Buffer {
    this.ensureAvailable(length);
    const slice = Buffer.from(this.#buffer.subarray(this.#position, this.#position + length));
    this.#position += length;
    return slice;
  }

  readByte(): number {
    this.ensureAvailable(1);
    return this.#buffer.readInt8(this.#position++);
  }

  readI16(): number {
    this.ensureAvailable(2);
    const value = this.#buffer.readInt16BE(this.#position);
    this.#position += 2;
    return value;
  }

  readI32(): number {
    this.ensureAvailable(4);
    const value = this.#buffer.readInt32BE(this.#position);
    this.#position += 4;
    return value;
  }

  readDouble(): number {
    this.ensureAvailable(8);
    const value = this.#buffer.readDoubleBE(this.#position);
    this.#position += 8;
    return value;
  }

  readString(length: number): string {
    this.ensureAvailable(length);
    const value = this.#buffer.toString('utf8', this.#position, this.#position + length);
    this.#position += length;
    return value;
  }

  borrow(): { buf: Buffer; readIndex: number; writeIndex: number } {
    return { buf: this.#buffer, readIndex: this.#position, writeIndex: this.#buffer.length };
  }

  consume(length: number): void {
    this.#position += length;
  }

  get position(): number {
    return this.#position;
  }

  commitPosition(): void {}
  rollbackPosition(): void {
    this.#position = 0;
  }
  isOpen(): boolean {
    return true;
  }
  open(): void {}
  close(): void {}
}
