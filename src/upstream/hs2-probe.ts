// The body of the hs2 liveness probe (health.hs2Probe): a TCLIService GetInfo call with an all-zero
// session handle, in the Thrift binary protocol. impalad answers it without running anything
// ("Invalid session id", HTTP 200; or 401 before that when authentication is on), so any answer
// proves that a frontend thread took the connection and the hs2 service runs. Built once.

import { MessageType, TType } from '../hs2/thrift-reader.ts';

const { STRUCT: tStruct, STRING: tString, I32: tI32 } = TType;
/** TGetInfoType.CLI_SERVER_NAME (TCLIService.thrift). */
const cliServerName = 13;

function fieldHeader(type: number, id: number): Buffer {
  const header = Buffer.alloc(3);
  header.writeUInt8(type, 0);
  header.writeInt16BE(id, 1);
  return header;
}

function i32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value, 0);
  return buffer;
}

function binary(bytes: Buffer): Buffer {
  return Buffer.concat([i32(bytes.length), bytes]);
}

const stop = Buffer.of(0);
const name = Buffer.from('GetInfo', 'latin1');

export const hs2ProbeBody: Buffer = Buffer.concat([
  i32((0x80010000 | MessageType.CALL) >> 0),
  binary(name),
  i32(0), // seqid
  fieldHeader(tStruct, 1), // GetInfo_args.req: TGetInfoReq
  fieldHeader(tStruct, 1), // sessionHandle: TSessionHandle
  fieldHeader(tStruct, 1), // sessionId: THandleIdentifier
  fieldHeader(tString, 1), // guid
  binary(Buffer.alloc(16)),
  fieldHeader(tString, 2), // secret
  binary(Buffer.alloc(16)),
  stop, // THandleIdentifier
  stop, // TSessionHandle
  fieldHeader(tI32, 2), // infoType
  i32(cliServerName),
  stop, // TGetInfoReq
  stop, // GetInfo_args
]);
