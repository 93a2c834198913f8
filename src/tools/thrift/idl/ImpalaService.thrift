// The Impala extensions of TCLIService that clients call on the hs2-http port
// (apache/impala common/thrift/ImpalaService.thrift, service ImpalaHiveServer2Service).
// Only PingImpalaHS2Service (impala-shell's liveness probe before every interactive command) and
// CloseImpalaOperation (impala-shell closes queries with it) are kept. TCloseImpalaOperationResp
// field 2 (dml_result) is omitted: readers skip it, and the simulator never runs DML.

include "TCLIService.thrift"

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

service ImpalaHiveServer2Service extends TCLIService.TCLIService {
  TPingImpalaHS2ServiceResp PingImpalaHS2Service(1: TPingImpalaHS2ServiceReq req)
  TCloseImpalaOperationResp CloseImpalaOperation(1: TCloseImpalaOperationReq req)
}
