// apache/impala common/thrift/ExecStats.thrift: the exec summary that GetExecSummary returns and
// impala-shell renders for live progress, live summary and the `summary` command
// (shell/impala_shell/exec_summary.py build_exec_summary_table). Field ids and types are the
// wire contract and match upstream exactly.

include "Status.thrift"
include "Types.thrift"

enum TExecState {
  REGISTERED = 0,
  PLANNING = 1,
  QUEUED = 2,
  RUNNING = 3,
  FINISHED = 4,
  CANCELLED = 5,
  FAILED = 6
}

struct TExecStats {
  1: optional i64 latency_ns
  2: optional i64 cpu_time_ns
  3: optional i64 cardinality
  4: optional i64 memory_used
  5: optional bool last_batch_returned
}

struct TPlanNodeExecSummary {
  // The plan node id, or -1 for a data sink at the root of a fragment.
  1: required Types.TPlanNodeId node_id
  2: required Types.TFragmentIdx fragment_idx
  3: required string label
  4: optional string label_detail
  5: required i32 num_children
  6: optional TExecStats estimated_stats
  // One entry per fragment instance executing this node.
  7: optional list<TExecStats> exec_stats
  8: optional bool is_broadcast
  9: optional i32 num_hosts
}

struct TExecProgress {
  1: optional i64 total_scan_ranges
  2: optional i64 num_completed_scan_ranges
  3: optional i64 total_fragment_instances
  4: optional i64 num_completed_fragment_instances
}

struct TExecSummary {
  1: required TExecState state
  2: optional Status.TStatus status
  // Flattened plan tree, parents before children.
  3: optional list<TPlanNodeExecSummary> nodes
  4: optional map<i32, i32> exch_to_sender_map
  5: optional list<string> error_logs
  6: optional TExecProgress progress
  7: optional bool is_queued
  8: optional string queued_reason
}
