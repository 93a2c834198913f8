// Bytes received on a stream socket, consumed from the front. Chunks are joined only when a reader
// asks for more contiguous bytes than the first chunk holds, so a large message arriving in many
// chunks is copied once, not once per chunk.

export class ByteQueue {
  #chunks: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Everything queued as one Buffer (joined once, then kept joined). */
  peek(): Buffer {
    if (this.#chunks.length === 0) return Buffer.alloc(0);
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#length)];
    return this.#chunks[0]!;
  }

  /** Removes and returns the first `length` bytes (a copy, so the rest can be released). */
  take(length: number): Buffer {
    const all = this.peek();
    if (length > all.length) throw new RangeError(`take(${length}) with ${all.length} bytes queued`);
    const taken = Buffer.from(all.subarray(0, length));
    this.skip(length);
    return taken;
  }

  skip(length: number): void {
    const all = this.peek();
    const rest = all.subarray(length);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#length = rest.length;
  }
}
