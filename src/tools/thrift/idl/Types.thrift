// The typedefs of apache/impala common/thrift/Types.thrift that ExecStats.thrift uses.

typedef i32 TFragmentIdx
typedef i32 TPlanNodeId
