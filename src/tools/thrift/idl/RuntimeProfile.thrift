// apache/impala common/thrift/RuntimeProfile.thrift: only the format enum of
// TGetRuntimeProfileReq. TRuntimeProfileTree (the THRIFT format) is left out: the simulator
// answers STRING, BASE64 and JSON requests with a string profile and THRIFT with an error.

enum TRuntimeProfileFormat {
  STRING = 0,
  BASE64 = 1,
  THRIFT = 2,
  JSON = 3
}
