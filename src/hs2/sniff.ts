// Reads what routing needs from the first bytes of an hs2 request body, and the session a
// successful OpenSession reply created. Offsets and field ids: research/impala-protocol.md §5.
// Nothing here copies the body; a request whose prefix is not Thrift is simply "unknown".
import { MessageType, ThriftCursor, TType, attempt, isCallType, readMessageHeader } from './thrift-reader.ts';

export interface SniffedRequest {
  /** Thrift method name, e.g. "ExecuteStatement"; undefined when the body is not a Thrift call. */
  readonly method: string | undefined;
  /**
   * Hex of the 16-byte handle secret. Session handles and operation handles share it ("Secret is
   * inherited from session", impala-hs2-server.cc), so it identifies the session for either.
   */
  readonly sessionKey: string | undefined;
}

export const unknownRequest: SniffedRequest = { method: undefined, sessionKey: undefined };

/** Returns undefined while more bytes are needed, else what could be read. */
export function sniffRequest(prefix: Buffer, isComplete: boolean): SniffedRequest | undefined {
  try {
    const header = readMessageHeader(prefix);
    if (header === undefined) return isComplete ? unknownRequest : undefined;
    if (!isCallType(header.type)) return unknownRequest;
    let sessionKey: string | null | undefined;
    try {
      sessionKey = attempt(() => readHandleSecret(new ThriftCursor(prefix, header.bodyOffset)));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      sessionKey = null; // a well-formed header with a body we cannot walk: route by cookie alone
    }
    if (sessionKey === undefined && !isComplete) return undefined;
    return { method: header.name, sessionKey: sessionKey ?? undefined };
  } catch (error) {
    // The reader throws RangeError for malformed bytes; anything else is a bug of ours and must
    // surface (a 500 and a log line), not pass for "not Thrift" (issue 11: the fuzz test could not fail).
    if (!(error instanceof RangeError)) throw error;
    return unknownRequest;
  }
}

/**
 * `<Method>_args` field 1 is the request struct; for every session- or operation-bound RPC the
 * request's field 1 is a TSessionHandle or TOperationHandle, whose field 1 is a THandleIdentifier
 * { 1: guid, 2: secret }. GetExecSummary/GetRuntimeProfile put the operation handle first too.
 */
function readHandleSecret(cursor: ThriftCursor): string | null {
  if (!cursor.seekField(1, TType.STRUCT)) return null; // args → request
  const [type, id] = cursor.fieldHeader(); // request's first field
  if (id !== 1 || type !== TType.STRUCT) return null; // OpenSession: field 1 is client_protocol (i32)
  if (!cursor.seekField(1, TType.STRUCT)) return null; // handle → THandleIdentifier
  if (!cursor.seekField(2, TType.STRING)) return null; // → secret
  const [start, end] = cursor.binary();
  return end - start === 16 ? cursor.buffer.toString('hex', start, end) : null;
}

/**
 * From a whole OpenSession reply: the new session's key when the status is SUCCESS (0) or
 * SUCCESS_WITH_INFO (1). impalad fills sessionHandle before its later checks, so an error reply
 * can carry a handle too; that one must not be recorded.
 */
export function readOpenSessionReply(body: Buffer): string | undefined {
  try {
    const header = readMessageHeader(body);
    if (header === undefined || header.type !== MessageType.REPLY) return undefined;
    const cursor = new ThriftCursor(body, header.bodyOffset);
    if (!cursor.seekField(0, TType.STRUCT)) return undefined; // result → success (TOpenSessionResp)
    let statusCode: number | undefined;
    for (;;) {
      const [type, id] = cursor.fieldHeader();
      if (type === TType.STOP) return undefined;
      if (id === 1 && type === TType.STRUCT) {
        statusCode = readStatusCode(cursor);
      } else if (id === 3 && type === TType.STRUCT) {
        if (statusCode !== 0 && statusCode !== 1) return undefined;
        return readHandleIdentifierSecret(cursor) ?? undefined;
      } else {
        cursor.skip(type);
      }
    }
  } catch {
    return undefined;
  }
}

/** Reads a whole TStatus struct and returns its statusCode (field 1). */
function readStatusCode(cursor: ThriftCursor): number | undefined {
  let code: number | undefined;
  for (;;) {
    const [type, id] = cursor.fieldHeader();
    if (type === TType.STOP) return code;
    if (id === 1 && type === TType.I32) code = cursor.i32();
    else cursor.skip(type);
  }
}

function readHandleIdentifierSecret(cursor: ThriftCursor): string | null {
  if (!cursor.seekField(1, TType.STRUCT)) return null;
  if (!cursor.seekField(2, TType.STRING)) return null;
  const [start, end] = cursor.binary();
  return end - start === 16 ? cursor.buffer.toString('hex', start, end) : null;
}

/** Reads the status code of any reply whose success struct starts with a TStatus (CloseSession…). */
export function readReplyStatusCode(body: Buffer): number | undefined {
  try {
    const header = readMessageHeader(body);
    if (header === undefined || header.type !== MessageType.REPLY) return undefined;
    const cursor = new ThriftCursor(body, header.bodyOffset);
    if (!cursor.seekField(0, TType.STRUCT)) return undefined;
    if (!cursor.seekField(1, TType.STRUCT)) return undefined;
    return readStatusCode(cursor);
  } catch {
    return undefined;
  }
}
