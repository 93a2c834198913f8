// Hand-written TypeScript shapes of the TCLIService / ImpalaHiveServer2Service structs that
// src/tools/thrift/idl declares. They describe both what the generated readers return and what the
// codec accepts for writing (the generated constructors wrap plain objects of these shapes).
// Field names, optionality and enum values follow the IDL exactly.
import type { Int64 } from 'thrift';

/** A Thrift i64 as the generated readers return it (node-int64) or as a caller writes it. */
export type I64 = Int64 | number;

export const StatusCode = {
  SUCCESS: 0,
  SUCCESS_WITH_INFO: 1,
  STILL_EXECUTING: 2,
  ERROR: 3,
  INVALID_HANDLE: 4,
} as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export const OperationState = {
  INITIALIZED: 0,
  RUNNING: 1,
  FINISHED: 2,
  CANCELED: 3,
  CLOSED: 4,
  ERROR: 5,
  UNKNOWN: 6,
  PENDING: 7,
} as const;
export type OperationState = (typeof OperationState)[keyof typeof OperationState];

export const OperationType = { EXECUTE_STATEMENT: 0, UNKNOWN: 8 } as const;

/** TProtocolVersion values; impalad answers at most V6. */
export const ProtocolVersion = { V1: 0, V5: 4, V6: 5, V7: 6 } as const;

/** TTypeId values used by the simulator's result sets. */
export const TypeId = { INT: 3, BIGINT: 4, STRING: 7 } as const;

export const FetchOrientation = { NEXT: 0, FIRST: 4 } as const;

/** ODBC CLIGetInfo keys (TGetInfoType) that clients actually send. */
export const GetInfoType = { SERVER_NAME: 13, DBMS_NAME: 17, DBMS_VER: 18 } as const;

export interface TStatus {
  statusCode: number;
  infoMessages?: string[] | null;
  sqlState?: string | null;
  errorCode?: number | null;
  errorMessage?: string | null;
}

export interface THandleIdentifier {
  /** 16 bytes; the query id for operations, the session id for sessions. */
  guid: Buffer;
  /** 16 bytes; operation handles carry their session's secret (impala-hs2-server.cc). */
  secret: Buffer;
}

export interface TSessionHandle {
  sessionId: THandleIdentifier;
}

export interface TOperationHandle {
  operationId: THandleIdentifier;
  operationType: number;
  hasResultSet: boolean;
  modifiedRowCount?: number | null;
}

export interface TTypeEntry {
  primitiveEntry?: { type: number } | null;
}

export interface TColumnDesc {
  columnName: string;
  typeDesc: { types: TTypeEntry[] };
  position: number;
  comment?: string | null;
}

export interface TTableSchema {
  columns: TColumnDesc[];
}

export interface TI32Column {
  values: number[];
  nulls: Buffer;
}

export interface TI64Column {
  values: I64[];
  nulls: Buffer;
}

export interface TStringColumn {
  values: string[];
  nulls: Buffer;
}

/** A union: exactly one member is set. */
export interface TColumn {
  i32Val?: TI32Column | null;
  i64Val?: TI64Column | null;
  stringVal?: TStringColumn | null;
}

export interface TRowSet {
  startRowOffset: I64;
  /** Row-based results (protocol < V6) are never used: always empty. */
  rows: unknown[];
  columns?: TColumn[] | null;
}

export interface TOpenSessionReq {
  client_protocol: number;
  username?: string | null;
  password?: string | null;
  configuration?: Record<string, string> | null;
}

export interface TOpenSessionResp {
  status: TStatus;
  serverProtocolVersion: number;
  sessionHandle?: TSessionHandle | null;
  configuration?: Record<string, string> | null;
}

export interface TCloseSessionReq {
  sessionHandle: TSessionHandle;
}

export interface TCloseSessionResp {
  status: TStatus;
}

/** A union: exactly one member is set. */
export interface TGetInfoValue {
  stringValue?: string | null;
  smallIntValue?: number | null;
  integerBitmask?: number | null;
  integerFlag?: number | null;
  binaryValue?: number | null;
  lenValue?: I64 | null;
}

export interface TGetInfoReq {
  sessionHandle: TSessionHandle;
  infoType: number;
}

export interface TGetInfoResp {
  status: TStatus;
  infoValue: TGetInfoValue;
}

export interface TExecuteStatementReq {
  sessionHandle: TSessionHandle;
  statement: string;
  confOverlay?: Record<string, string> | null;
  runAsync?: boolean | null;
}

export interface TExecuteStatementResp {
  status: TStatus;
  operationHandle?: TOperationHandle | null;
}

export interface TOperationReq {
  operationHandle: TOperationHandle;
}

export interface TStatusResp {
  status: TStatus;
}

export interface TGetOperationStatusResp {
  status: TStatus;
  operationState?: number | null;
  sqlState?: string | null;
  errorCode?: number | null;
  errorMessage?: string | null;
}

export interface TGetResultSetMetadataResp {
  status: TStatus;
  schema?: TTableSchema | null;
}

export interface TFetchResultsReq {
  operationHandle: TOperationHandle;
  orientation: number;
  maxRows: I64;
  fetchType?: number | null;
}

export interface TFetchResultsResp {
  status: TStatus;
  hasMoreRows?: boolean | null;
  results?: TRowSet | null;
}

export interface TGetLogResp {
  status: TStatus;
  log: string;
}

export interface TPingImpalaHS2ServiceReq {
  sessionHandle: TSessionHandle;
}

export interface TPingImpalaHS2ServiceResp {
  status: TStatus;
  version?: string | null;
  webserver_address?: string | null;
  timestamp?: I64 | null;
}

/** ExecStats.TExecState. */
export const ExecState = { REGISTERED: 0, PLANNING: 1, QUEUED: 2, RUNNING: 3, FINISHED: 4, CANCELLED: 5, FAILED: 6 } as const;

/** RuntimeProfile.TRuntimeProfileFormat. */
export const RuntimeProfileFormat = { STRING: 0, BASE64: 1, THRIFT: 2, JSON: 3 } as const;

/** Impala's own Status.TStatus (not TCLIService's): status_code is an ErrorCodes.TErrorCode. */
export interface TImpalaStatus {
  status_code: number;
  error_msgs?: string[] | null;
}

export interface TExecStats {
  latency_ns?: I64 | null;
  cpu_time_ns?: I64 | null;
  cardinality?: I64 | null;
  memory_used?: I64 | null;
  last_batch_returned?: boolean | null;
}

export interface TPlanNodeExecSummary {
  /** -1 for a data sink at the root of a fragment. */
  node_id: number;
  fragment_idx: number;
  label: string;
  label_detail?: string | null;
  num_children: number;
  estimated_stats?: TExecStats | null;
  /** One entry per fragment instance. */
  exec_stats?: TExecStats[] | null;
  is_broadcast?: boolean | null;
  num_hosts?: number | null;
}

export interface TExecProgress {
  total_scan_ranges?: I64 | null;
  num_completed_scan_ranges?: I64 | null;
  total_fragment_instances?: I64 | null;
  num_completed_fragment_instances?: I64 | null;
}

export interface TExecSummary {
  state: number;
  status?: TImpalaStatus | null;
  nodes?: TPlanNodeExecSummary[] | null;
  exch_to_sender_map?: Record<number, number> | null;
  error_logs?: string[] | null;
  progress?: TExecProgress | null;
  is_queued?: boolean | null;
  queued_reason?: string | null;
}

export interface TGetExecSummaryReq {
  operationHandle?: TOperationHandle | null;
  sessionHandle?: TSessionHandle | null;
  include_query_attempts?: boolean | null;
}

export interface TGetExecSummaryResp {
  status: TStatus;
  summary?: TExecSummary | null;
  failed_summaries?: TExecSummary[] | null;
}

export interface TGetRuntimeProfileReq {
  operationHandle?: TOperationHandle | null;
  sessionHandle?: TSessionHandle | null;
  /** RuntimeProfileFormat; STRING when absent. */
  format?: number | null;
  include_query_attempts?: boolean | null;
}

export interface TGetRuntimeProfileResp {
  status: TStatus;
  profile?: string | null;
  failed_profiles?: string[] | null;
}

/** Request and response type of every RPC the codec knows, by Thrift method name. */
export interface Hs2Methods {
  OpenSession: { request: TOpenSessionReq; response: TOpenSessionResp };
  CloseSession: { request: TCloseSessionReq; response: TCloseSessionResp };
  GetInfo: { request: TGetInfoReq; response: TGetInfoResp };
  ExecuteStatement: { request: TExecuteStatementReq; response: TExecuteStatementResp };
  GetOperationStatus: { request: TOperationReq; response: TGetOperationStatusResp };
  CancelOperation: { request: TOperationReq; response: TStatusResp };
  CloseOperation: { request: TOperationReq; response: TStatusResp };
  GetResultSetMetadata: { request: TOperationReq; response: TGetResultSetMetadataResp };
  FetchResults: { request: TFetchResultsReq; response: TFetchResultsResp };
  GetLog: { request: TOperationReq; response: TGetLogResp };
  PingImpalaHS2Service: { request: TPingImpalaHS2ServiceReq; response: TPingImpalaHS2ServiceResp };
  CloseImpalaOperation: { request: TOperationReq; response: TStatusResp };
  GetExecSummary: { request: TGetExecSummaryReq; response: TGetExecSummaryResp };
  GetRuntimeProfile: { request: TGetRuntimeProfileReq; response: TGetRuntimeProfileResp };
}

export type Hs2Method = keyof Hs2Methods;
export type Hs2Request<M extends Hs2Method> = Hs2Methods[M]['request'];
export type Hs2Response<M extends Hs2Method> = Hs2Methods[M]['response'];
