// Impala's own status struct (apache/impala common/thrift/Status.thrift), as TExecSummary.status
// carries it. status_code is ErrorCodes.TErrorCode upstream, an i32 enum on the wire; only the
// codes the simulator reports are listed (ErrorCodes.thrift is generated from
// common/thrift/generate_error_codes.py: OK = 0, CANCELLED = 3).

enum TErrorCode {
  OK = 0,
  CANCELLED = 3
}

struct TStatus {
  1: required TErrorCode status_code
  2: list<string> error_msgs
}
