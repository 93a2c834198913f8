// The typed face of the generated TCLIService code: whole-Buffer codecs for one message
// (impalad reads one unframed binary-protocol message per HTTP body, research §5; on the binary
// port message-reader.ts finds each message's end first). Writing goes through BinaryWriter.
//
// The generated service modules (Client/Processor) are not used: thrift-compiler 0.17 emits
// promise code on `thrift.Q`, which the thrift 0.24 runtime no longer exports. Only the generated
// struct classes are used; the `<Method>_args {1: req}` / `<Method>_result {0: success}` wrappers
// are written here.
import { createRequire } from 'node:module';
import type { TProtocol } from 'thrift';
import type { Hs2Method, Hs2Request, Hs2Response } from './hs2-types.ts';
import { BinaryWriter } from './binary-writer.ts';
import { BufferReadTransport } from './buffer-transport.ts';

export * from './hs2-types.ts';

const require = createRequire(import.meta.url);

interface ThriftStruct {
  read(input: TProtocol): void;
  write(output: TProtocol): void;
}
type StructClass = new (args?: object) => ThriftStruct;

interface ThriftRuntime {
  TBinaryProtocol: new (transport: unknown, strictRead?: boolean, strictWrite?: boolean) => TProtocol;
  Thrift: {
    Type: { STOP: number; STRUCT: number };
    MessageType: { CALL: number; REPLY: number; EXCEPTION: number; ONEWAY: number };
    TApplicationException: new (type?: number, message?: string) => ThriftStruct & { type: number; message: string; code?: number };
  };
}

const thrift = require('thrift') as ThriftRuntime;
const cli = require('./gen/TCLIService_types.js') as Record<string, StructClass>;
const impala = require('./gen/ImpalaService_types.js') as Record<string, StructClass>;

const { Type, MessageType } = thrift.Thrift;
export { MessageType };

/** TApplicationExceptionType values (thrift.js). */
export const ApplicationExceptionType = {
  UNKNOWN: 0,
  UNKNOWN_METHOD: 1,
  INVALID_MESSAGE_TYPE: 2,
  WRONG_METHOD_NAME: 3,
  BAD_SEQUENCE_ID: 4,
  MISSING_RESULT: 5,
  INTERNAL_ERROR: 6,
  PROTOCOL_ERROR: 7,
} as const;

const structs: Record<Hs2Method, readonly [request: StructClass, response: StructClass]> = {
  OpenSession: [cli.TOpenSessionReq!, cli.TOpenSessionResp!],
  CloseSession: [cli.TCloseSessionReq!, cli.TCloseSessionResp!],
  GetInfo: [cli.TGetInfoReq!, cli.TGetInfoResp!],
  ExecuteStatement: [cli.TExecuteStatementReq!, cli.TExecuteStatementResp!],
  GetOperationStatus: [cli.TGetOperationStatusReq!, cli.TGetOperationStatusResp!],
  CancelOperation: [cli.TCancelOperationReq!, cli.TCancelOperationResp!],
  CloseOperation: [cli.TCloseOperationReq!, cli.TCloseOperationResp!],
  GetResultSetMetadata: [cli.TGetResultSetMetadataReq!, cli.TGetResultSetMetadataResp!],
  FetchResults: [cli.TFetchResultsReq!, cli.TFetchResultsResp!],
  GetLog: [cli.TGetLogReq!, cli.TGetLogResp!],
  PingImpalaHS2Service: [impala.TPingImpalaHS2ServiceReq!, impala.TPingImpalaHS2ServiceResp!],
  CloseImpalaOperation: [impala.TCloseImpalaOperationReq!, impala.TCloseImpalaOperationResp!],
  GetExecSummary: [impala.TGetExecSummaryReq!, impala.TGetExecSummaryResp!],
  GetRuntimeProfile: [impala.TGetRuntimeProfileReq!, impala.TGetRuntimeProfileResp!],
};

export const hs2Methods: readonly Hs2Method[] = Object.freeze(Object.keys(structs) as Hs2Method[]);

export function isHs2Method(name: string): name is Hs2Method {
  return Object.hasOwn(structs, name);
}

/** A TApplicationException received in a reply (type=EXCEPTION message). */
export class ThriftApplicationError extends Error {
  readonly code = 'THRIFT_APPLICATION_EXCEPTION';
  readonly type: number;
  constructor(type: number, message: string) {
    super(message);
    this.name = 'ThriftApplicationError';
    this.type = type;
  }
}

/** A body that is not a well-formed binary-protocol message of the expected kind. */
export class ThriftDecodeError extends Error {
  readonly code = 'THRIFT_DECODE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ThriftDecodeError';
  }
}

export interface MessageHeader {
  method: string;
  /** 1 CALL, 2 REPLY, 3 EXCEPTION, 4 ONEWAY */
  type: number;
  seqid: number;
}

function writeMessage(method: string, type: number, seqid: number, fieldId: number, body: ThriftStruct): Buffer {
  const writer = new BinaryWriter();
  const output = writer as unknown as TProtocol;
  output.writeMessageBegin(method, type, seqid);
  if (type === MessageType.EXCEPTION) {
    body.write(output);
  } else {
    // `<Method>_args` (field 1 = req) or `<Method>_result` (field 0 = success).
    output.writeStructBegin('');
    output.writeFieldBegin(fieldId === 0 ? 'success' : 'req', Type.STRUCT, fieldId);
    body.write(output);
    output.writeFieldEnd();
    output.writeFieldStop();
    output.writeStructEnd();
  }
  output.writeMessageEnd();
  return writer.toBuffer();
}

/** Reads the single STRUCT field `fieldId` of an args/result wrapper, skipping anything else. */
function readWrapped(input: TProtocol, fieldId: number, Struct: StructClass): ThriftStruct | undefined {
  let found: ThriftStruct | undefined;
  input.readStructBegin();
  for (;;) {
    const field = input.readFieldBegin();
    if (field.ftype === Type.STOP) break;
    if (field.fid === fieldId && field.ftype === Type.STRUCT) {
      found = new Struct();
      found.read(input);
    } else {
      input.skip(field.ftype);
    }
    input.readFieldEnd();
  }
  input.readStructEnd();
  return found;
}

function openMessage(buffer: Buffer): { input: TProtocol; header: MessageHeader } {
  const input = new thrift.TBinaryProtocol(new BufferReadTransport(buffer), false, true);
  const message = input.readMessageBegin() as { fname: string | Buffer; mtype: number; rseqid: number };
  // Old-style (non-strict) headers come back with the name as a Buffer.
  const method = typeof message.fname === 'string' ? message.fname : message.fname.toString('utf8');
  return { input, header: { method, type: message.mtype, seqid: message.rseqid } };
}

function decode<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ThriftDecodeError || error instanceof ThriftApplicationError) throw error;
    throw new ThriftDecodeError(`cannot decode ${what}: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads only the message header (method name, type, seqid). Accepts strict and old-style headers. */
export function readMessageHeader(buffer: Buffer): MessageHeader {
  return decode('message header', () => openMessage(buffer).header);
}

/** Client side: a strict CALL message, as impyla and impala-shell write it (seqid 0). */
export function encodeCall<M extends Hs2Method>(method: M, request: Hs2Request<M>, seqid = 0): Buffer {
  const [Request] = structs[method];
  return writeMessage(method, MessageType.CALL, seqid, 1, new Request(request));
}

/** Client side: decodes a reply to `method`; throws ThriftApplicationError for an EXCEPTION message. */
export function decodeReply<M extends Hs2Method>(method: M, buffer: Buffer): Hs2Response<M> {
  return decode(`${method} reply`, () => {
    const { input, header } = openMessage(buffer);
    if (header.method !== method) throw new ThriftDecodeError(`reply is for ${header.method}, expected ${method}`);
    if (header.type === MessageType.EXCEPTION) {
      const exception = new thrift.Thrift.TApplicationException();
      exception.read(input);
      throw new ThriftApplicationError(exception.type ?? 0, exception.message ?? '');
    }
    if (header.type !== MessageType.REPLY) throw new ThriftDecodeError(`unexpected message type ${header.type}`);
    const result = readWrapped(input, 0, structs[method][1]);
    if (!result) throw new ThriftApplicationError(ApplicationExceptionType.MISSING_RESULT, `${method} failed: unknown result`);
    return result as unknown as Hs2Response<M>;
  });
}

/** Server side: decodes a CALL message into its method and request struct. */
export function decodeCall(buffer: Buffer): { [M in Hs2Method]: { method: M; seqid: number; request: Hs2Request<M> } }[Hs2Method] {
  return decode('call', () => {
    const { input, header } = openMessage(buffer);
    if (header.type !== MessageType.CALL && header.type !== MessageType.ONEWAY) {
      throw new ThriftDecodeError(`unexpected message type ${header.type}`);
    }
    if (!isHs2Method(header.method)) throw new UnknownMethodError(header.method, header.seqid);
    const request = readWrapped(input, 1, structs[header.method][0]);
    if (!request) throw new ThriftDecodeError(`${header.method} call without its request struct`);
    return { method: header.method, seqid: header.seqid, request } as never;
  });
}

/** Server side: a REPLY message carrying `response` as `<Method>_result.success`. */
export function encodeReply<M extends Hs2Method>(method: M, response: Hs2Response<M>, seqid = 0): Buffer {
  const [, Response] = structs[method];
  return writeMessage(method, MessageType.REPLY, seqid, 0, new Response(response));
}

/** Server side: an EXCEPTION message (TApplicationException). */
export function encodeException(method: string, seqid: number, type: number, message: string): Buffer {
  const exception = new thrift.Thrift.TApplicationException(type, message);
  // thrift 0.24's TApplicationException.write() checks `this.code`, not the `type` its
  // constructor sets, so without this the type field would never reach the wire.
  exception.code = type;
  return writeMessage(method, MessageType.EXCEPTION, seqid, 0, exception);
}

class UnknownMethodError extends ThriftDecodeError {
  readonly method: string;
  readonly seqid: number;
  constructor(method: string, seqid: number) {
    super(`Unknown function ${method}`);
    this.method = method;
    this.seqid = seqid;
  }
}

/** Per-RPC implementations for handleCall; an absent method answers UNKNOWN_METHOD. */
export type Hs2Handler<Context> = {
  [M in Hs2Method]?: (request: Hs2Request<M>, context: Context) => Hs2Response<M> | Promise<Hs2Response<M>>;
};

/**
 * Server side: decodes one request body, runs the handler and returns the reply body, seqid
 * echoed. Handler errors become a TApplicationException (INTERNAL_ERROR) reply, like a C++
 * server's processor. A body that is not a decodable CALL throws ThriftDecodeError: impalad has
 * nothing to answer then and closes the connection.
 */
export async function handleCall<Context>(body: Buffer, handler: Hs2Handler<Context>, context: Context): Promise<Buffer> {
  let call: ReturnType<typeof decodeCall>;
  try {
    call = decodeCall(body);
  } catch (error) {
    if (error instanceof UnknownMethodError) {
      return encodeException(error.method, error.seqid, ApplicationExceptionType.UNKNOWN_METHOD, error.message);
    }
    throw error;
  }
  const implementation = handler[call.method] as
    | ((request: unknown, context: Context) => Hs2Response<Hs2Method> | Promise<Hs2Response<Hs2Method>>)
    | undefined;
  if (!implementation) {
    return encodeException(call.method, call.seqid, ApplicationExceptionType.UNKNOWN_METHOD, `Unknown function ${call.method}`);
  }
  let response: Hs2Response<Hs2Method>;
  try {
    response = await implementation.call(handler, call.request, context);
  } catch (error) {
    return encodeException(call.method, call.seqid, ApplicationExceptionType.INTERNAL_ERROR, (error as Error).message);
  }
  return encodeReply(call.method, response as never, call.seqid);
}

/**
 * impalad's PrintId for a 16-byte handle guid: each 8-byte half read as a little-endian uint64
 * (impala-server.inline.h THandleIdentifierToTUniqueId), printed `%016x:%016x`
 * (util/debug-util.cc). Bytes 00 01 … 0f print as `0706050403020100:0f0e0d0c0b0a0908`.
 */
export function formatImpalaId(guid: Buffer): string {
  if (guid.length < 16) throw new RangeError(`an Impala id has 16 bytes, got ${guid.length}`);
  const hi = guid.readBigUInt64LE(0).toString(16).padStart(16, '0');
  const lo = guid.readBigUInt64LE(8).toString(16).padStart(16, '0');
  return `${hi}:${lo}`;
}

/** The inverse of formatImpalaId. */
export function parseImpalaId(id: string): Buffer {
  const match = /^([0-9a-f]{16}):([0-9a-f]{16})$/i.exec(id);
  if (!match) throw new RangeError(`not an Impala id: ${id}`);
  const guid = Buffer.alloc(16);
  guid.writeBigUInt64LE(BigInt(`0x${match[1]}`), 0);
  guid.writeBigUInt64LE(BigInt(`0x${match[2]}`), 8);
  return guid;
}

/** A Thrift i64 (node-int64 from the readers, or a number) as a JavaScript number. */
export function i64ToNumber(value: { toNumber(allowImprecise?: boolean): number } | number): number {
  return typeof value === 'number' ? value : value.toNumber(true);
}
