// Whole binary-protocol messages out of the bytes of a binary hs2 connection, for both ends:
// unframed (NOSASL: TBufferedTransport writes messages back to back) or inside SASL data frames
// (4-byte length, payload; one frame per flush, but a message may span frames and a frame may
// hold more than one message, as TSaslTransport::read allows). The SASL negotiation before the
// frames is read from `raw` by the caller, which then switches `framed` on.
import { ByteQueue } from './byte-queue.ts';
import { ThriftDecodeError } from './hs2.ts';
import { measureMessage } from './message-length.ts';
import { FRAME_HEADER_BYTES, encodeFrame } from './sasl.ts';

/** A message or frame larger than the limit: the connection is closed (a bad or hostile peer). */
export class MessageTooLargeError extends Error {
  readonly code = 'HS2_MESSAGE_TOO_LARGE';
  constructor(size: number, limit: number) {
    super(`message of at least ${size} bytes is larger than the limit of ${limit} bytes`);
    this.name = 'MessageTooLargeError';
  }
}

export class MessageReader {
  /** Bytes as they came off the socket. */
  readonly raw = new ByteQueue();
  /** SASL data frames (after negotiation) or plain messages. */
  framed: boolean;
  readonly #maxMessageBytes: number;
  /** Frame payloads joined (framed mode only). */
  readonly #stream = new ByteQueue();
  /** Nothing to try before the input holds this many bytes (the last walk's lower bound). */
  #needed = 0;
  #rawNeeded = FRAME_HEADER_BYTES;

  constructor(options: { framed: boolean; maxMessageBytes: number }) {
    this.framed = options.framed;
    this.#maxMessageBytes = options.maxMessageBytes;
  }

  push(chunk: Buffer): void {
    this.raw.push(chunk);
  }

  /** Bytes received and not yet returned as messages. */
  get buffered(): number {
    return this.raw.length + this.#stream.length;
  }

  /**
   * The next whole message, or undefined while it is incomplete. Throws ThriftDecodeError for
   * bytes that cannot be a message and MessageTooLargeError past the limit.
   */
  next(): Buffer | undefined {
    const input = this.framed ? this.#unframe() : this.raw;
    if (input.length === 0 || input.length < this.#needed) return undefined;
    const measured = measureMessage(input.peek());
    if ('needed' in measured) {
      if (measured.needed > this.#maxMessageBytes) throw new MessageTooLargeError(measured.needed, this.#maxMessageBytes);
      this.#needed = measured.needed;
      return undefined;
    }
    this.#needed = 0;
    return input.take(measured.length);
  }

  /** Moves every complete frame's payload from `raw` to the message stream. */
  #unframe(): ByteQueue {
    while (this.raw.length >= this.#rawNeeded) {
      const head = this.raw.peek();
      const size = head.readInt32BE(0);
      // TSaslTransport::readLength: "Frame size has negative value".
      if (size < 0) throw new ThriftDecodeError(`frame size has negative value ${size}`);
      if (size > this.#maxMessageBytes) throw new MessageTooLargeError(size, this.#maxMessageBytes);
      if (head.length < FRAME_HEADER_BYTES + size) {
        this.#rawNeeded = FRAME_HEADER_BYTES + size;
        break;
      }
      this.raw.skip(FRAME_HEADER_BYTES);
      this.#stream.push(this.raw.take(size));
      this.#rawNeeded = FRAME_HEADER_BYTES;
    }
    return this.#stream;
  }
}

/** What a writer puts on the wire for one message: the message itself, or one SASL data frame. */
export function encodeMessageForWire(message: Buffer, framed: boolean): Buffer {
  return framed ? encodeFrame(message) : message;
}
