// The Impala extensions of TCLIService that clients call on the hs2 and hs2-http ports
// (apache/impala common/thrift/ImpalaService.thrift, service ImpalaHiveServer2Service).
// Kept: PingImpalaHS2Service (impala-shell's liveness probe before every interactive command),
// CloseImpalaOperation (impala-shell and impyla close queries with it), GetExecSummary (live
// progress, live summary, `summary`) and GetRuntimeProfile (`profile`, impyla get_profile()).
// Left out: TCloseImpalaOperationResp field 2 (dml_result; the simulator never runs DML) and
// TGetRuntimeProfileResp fields 3 and 5 (TRuntimeProfileTree, the THRIFT format); readers skip
// fields they do not know.

include "TCLIService.thrift"
include "ExecStats.thrift"
include "RuntimeProfile.thrift"

struct TPingImpalaHS2ServiceReq {
  1: required TCLIService.TSessionHandle sessionHandle
}

struct TPingImpalaHS2ServiceResp {
  1: required TCLIService.TStatus status
  2: optional string version
  3: optional string webserver_address
  4: optional i64 timestamp
}

struct TCloseImpalaOperationReq {
  1: required TCLIService.TOperationHandle operationHandle
}

struct TCloseImpalaOperationResp {
  1: required TCLIService.TStatus status
}

struct TGetExecSummaryReq {
  1: optional TCLIService.TOperationHandle operationHandle
  2: optional TCLIService.TSessionHandle sessionHandle
  3: optional bool include_query_attempts = false
}

struct TGetExecSummaryResp {
  1: required TCLIService.TStatus status
  2: optional ExecStats.TExecSummary summary
  3: optional list<ExecStats.TExecSummary> failed_summaries
}

struct TGetRuntimeProfileReq {
  1: optional TCLIService.TOperationHandle operationHandle
  2: optional TCLIService.TSessionHandle sessionHandle
  3: optional RuntimeProfile.TRuntimeProfileFormat format = RuntimeProfile.TRuntimeProfileFormat.STRING
  4: optional bool include_query_attempts = false
}

struct TGetRuntimeProfileResp {
  1: required TCLIService.TStatus status
  2: optional string profile
  4: optional list<string> failed_profiles
}

service ImpalaHiveServer2Service extends TCLIService.TCLIService {
  TGetExecSummaryResp GetExecSummary(1: TGetExecSummaryReq req)
  TGetRuntimeProfileResp GetRuntimeProfile(1: TGetRuntimeProfileReq req)
  TPingImpalaHS2ServiceResp PingImpalaHS2Service(1: TPingImpalaHS2ServiceReq req)
  TCloseImpalaOperationResp CloseImpalaOperation(1: TCloseImpalaOperationReq req)
}
