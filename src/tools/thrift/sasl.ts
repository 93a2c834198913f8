// The byte formats of Thrift's SASL transport as impalad speaks it on the binary hs2 port with
// LDAP or Kerberos (be/src/transport/TSaslTransport.cpp, TSaslServerTransport.cpp; the Python
// client is thrift_sasl's TSaslClientTransport, used by impyla and impala-shell):
//
// - negotiation messages: 1 status byte, 4-byte big-endian payload length, payload. The client
//   sends START with the mechanism name, then OK (or COMPLETE, as Java's client does for PLAIN)
//   with the initial response; a PLAIN server answers COMPLETE with an empty payload;
// - after negotiation, every flush is one frame: 4-byte big-endian length, then the bytes (no
//   wrapping: the "auth" quality of protection).

export const SaslStatus = { START: 1, OK: 2, BAD: 3, ERROR: 4, COMPLETE: 5 } as const;
export type SaslStatus = (typeof SaslStatus)[keyof typeof SaslStatus];

/** STATUS_BYTES + PAYLOAD_LENGTH_BYTES. */
export const SASL_HEADER_BYTES = 5;
export const FRAME_HEADER_BYTES = 4;

export function encodeSaslMessage(status: SaslStatus, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const message = Buffer.allocUnsafe(SASL_HEADER_BYTES + body.length);
  message.writeUInt8(status, 0);
  message.writeUInt32BE(body.length, 1);
  body.copy(message, SASL_HEADER_BYTES);
  return message;
}

export interface SaslMessage {
  /** The status byte as sent (1..5 are valid; receivers reject anything else). */
  status: number;
  payload: Buffer;
  /** Bytes the message took, header included. */
  length: number;
}

/** The negotiation message at `start`, or undefined while its header or payload is incomplete. */
export function readSaslMessage(buffer: Buffer, start = 0): SaslMessage | undefined {
  if (buffer.length - start < SASL_HEADER_BYTES) return undefined;
  const length = buffer.readUInt32BE(start + 1);
  const end = start + SASL_HEADER_BYTES + length;
  if (buffer.length < end) return undefined;
  return { status: buffer.readUInt8(start), payload: buffer.subarray(start + SASL_HEADER_BYTES, end), length: end - start };
}

export function isValidSaslStatus(status: number): status is SaslStatus {
  return status >= SaslStatus.START && status <= SaslStatus.COMPLETE;
}

/** One data frame: length, then the bytes. */
export function encodeFrame(payload: Buffer): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload], FRAME_HEADER_BYTES + payload.length);
}

/** RFC 4616: `[authzid] NUL authcid NUL passwd`. */
export function encodePlainResponse(user: string, password: string, authorizationId = ''): Buffer {
  return Buffer.from(`${authorizationId}\0${user}\0${password}`, 'utf8');
}

export function parsePlainResponse(payload: Buffer): { authorizationId: string; user: string; password: string } | undefined {
  const parts = payload.toString('utf8').split('\0');
  if (parts.length !== 3 || parts[1] === '') return undefined;
  return { authorizationId: parts[0]!, user: parts[1]!, password: parts[2]! };
}
