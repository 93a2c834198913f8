// What impalad reports about a query besides its rows: the exec summary of GetExecSummary, the
// text of GetRuntimeProfile and of GetLog. A simulated QUERY runs as one fragment on one host:
// the plan impalad makes for a constant SELECT (F00:ROOT over 00:UNION), with the root sink's
// rows reported as -1 as Coordinator::InitFragmentStats does. SET and DDL statements have no
// coordinator, so their summary is a default TExecSummary (ImpalaServer::GetExecSummary; the
// shell prints "Summary not available") and their log holds only errors.
import { ExecState, formatImpalaId, type TExecSummary, type TPlanNodeExecSummary } from '../thrift/hs2.ts';
import type { SimulatedQuery } from './query.ts';

/** ErrorCodes.TErrorCode.CANCELLED and its message (common/thrift/generate_error_codes.py). */
const CANCELLED_CODE = 3;
export const CANCELLED_MESSAGE = 'Cancelled';

const NS_PER_MS = 1_000_000;
/** Peak memory the simulated fragment reports: a small constant, like a constant SELECT's. */
const ROOT_MEMORY_BYTES = 4 * 1024 * 1024;

/** ImpalaServer::QUERY_ERROR_FORMAT ("Query $0 failed:\n$1\n") around Status::GetDetail(), which ends with "\n". */
export function queryErrorText(query: SimulatedQuery, detail: string): string {
  return `Query ${formatImpalaId(query.guid)} failed:\n${detail}\n\n`;
}

function elapsedNs(query: SimulatedQuery, now: number): number {
  return Math.max(0, (query.endedAt ?? now) - query.startedAt) * NS_PER_MS;
}

/** GetExecSummary for `query` as of `now`. */
export function execSummary(query: SimulatedQuery, now = Date.now()): TExecSummary {
  if (query.result.type !== 'QUERY') return { state: ExecState.REGISTERED };
  const state = query.state;
  const done = state !== 'RUNNING';
  const latency = elapsedNs(query, now);
  const rows = state === 'FINISHED' ? query.result.rowCount : 0;
  const unionDetail = state === 'CANCELED' ? 'constant-operands=1, CANCELLED' : 'constant-operands=1';
  const nodes: TPlanNodeExecSummary[] = [
    {
      node_id: -1,
      fragment_idx: 0,
      label: 'F00:ROOT',
      label_detail: '',
      num_children: 1,
      estimated_stats: { cardinality: -1, memory_used: ROOT_MEMORY_BYTES },
      exec_stats: [{ latency_ns: latency, cpu_time_ns: latency, cardinality: -1, memory_used: ROOT_MEMORY_BYTES, last_batch_returned: done }],
      num_hosts: 1,
    },
    {
      node_id: 0,
      fragment_idx: 0,
      label: '00:UNION',
      label_detail: unionDetail,
      num_children: 0,
      estimated_stats: { cardinality: query.result.rowCount, memory_used: 0 },
      exec_stats: [{ latency_ns: latency, cpu_time_ns: latency, cardinality: rows, memory_used: 0, last_batch_returned: state === 'FINISHED' }],
      num_hosts: 1,
    },
  ];
  return {
    state: state === 'RUNNING' ? ExecState.RUNNING : state === 'FINISHED' ? ExecState.FINISHED : ExecState.CANCELLED,
    ...(state === 'CANCELED' ? { status: { status_code: CANCELLED_CODE, error_msgs: [CANCELLED_MESSAGE] } } : {}),
    nodes,
    // A constant SELECT has no scan ranges; its one fragment instance completes with the query.
    progress: { total_scan_ranges: 0, num_completed_scan_ranges: 0, total_fragment_instances: 1, num_completed_fragment_instances: done ? 1 : 0 },
    is_queued: false,
  };
}

/** GetLog: the scan progress line (queries with a coordinator), then the error of a failed query. */
export function queryLog(query: SimulatedQuery): string {
  let log = '';
  // ProgressUpdater::ToString with 0 scan ranges: num_complete >= total, "100% Complete".
  if (query.result.type === 'QUERY') log += `Query ${formatImpalaId(query.guid)} 100% Complete (0 out of 0)\n`;
  if (query.state === 'CANCELED') log += queryErrorText(query, CANCELLED_MESSAGE);
  return log;
}

/** PrettyPrinter for TUnit::TIME_NS: 1h2m3s, 2m3s, 1s002ms, 12.345ms, 12.345us, 123.000ns. */
export function formatDuration(ns: number): string {
  const ms = ns / NS_PER_MS;
  if (ms >= 60_000) {
    const hours = Math.floor(ms / 3_600_000);
    const minutes = Math.floor((ms % 3_600_000) / 60_000);
    const seconds = Math.floor((ms % 60_000) / 1000);
    return hours > 0 ? `${hours}h${minutes}m${seconds}s` : `${minutes}m${seconds}s`;
  }
  if (ms >= 1000) return `${Math.floor(ms / 1000)}s${String(Math.floor(ms % 1000)).padStart(3, '0')}ms`;
  if (ms >= 1) return `${ms.toFixed(3)}ms`;
  if (ns >= 1000) return `${(ns / 1000).toFixed(3)}us`;
  return `${ns.toFixed(3)}ns`;
}

function formatBytes(bytes: number): string {
  if (bytes < 0) return '';
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(2)} ${units[unit]}`;
}

/** Coordinator::PrintExecSummary as a text table (the profile's ExecSummary section). */
function execSummaryTable(summary: TExecSummary): string {
  const header = ['Operator', '#Hosts', '#Inst', 'Avg Time', 'Max Time', '#Rows', 'Est. #Rows', 'Peak Mem', 'Est. Peak Mem', 'Detail'];
  // The root sink's only child has the same indent level, so no row gets a tree prefix.
  const rows = (summary.nodes ?? []).map((node) => {
    const stats = node.exec_stats ?? [];
    const latency = Number(stats[0]?.latency_ns ?? 0);
    const cardinality = Number(stats[0]?.cardinality ?? 0);
    const estimated = Number(node.estimated_stats?.cardinality ?? -1);
    return [
      node.label,
      String(node.num_hosts ?? 1),
      String(stats.length),
      formatDuration(latency),
      formatDuration(latency),
      cardinality < 0 ? '' : String(cardinality),
      estimated < 0 ? '' : String(estimated),
      formatBytes(Number(stats[0]?.memory_used ?? 0)),
      formatBytes(Number(node.estimated_stats?.memory_used ?? 0)),
      node.label_detail ?? '',
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [line(header), '-'.repeat(line(header).length), ...rows.map(line)].join('\n');
}

/** Profile times: local wall clock with nanosecond digits, like "2024-05-01 12:00:00.123000000". */
function formatTime(ms: number): string {
  const date = new Date(ms);
  const pad = (value: number, length = 2) => String(value).padStart(length, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}000000`
  );
}

export interface ProfileContext {
  coordinator: string;
  /** GetVersionString(true): `impalad version … RELEASE (build …)`. */
  version: string;
  sessionIdText: string;
}

/** The STRING format of GetRuntimeProfile: the Summary section impalad prints, then ImpalaServer counters. */
export function runtimeProfile(query: SimulatedQuery, context: ProfileContext, now = Date.now()): string {
  const state = query.state;
  const ended = query.endedAt !== undefined && state !== 'RUNNING';
  const beeswaxState = state === 'RUNNING' ? 'RUNNING' : state === 'FINISHED' ? 'FINISHED' : 'EXCEPTION';
  const impalaState = state === 'CANCELED' ? 'ERROR' : state;
  const options = [...query.options].map(([name, value]) => `${name}=${value}`).join(',');
  const timeline = [`       - Query submitted: 0.000ns (0.000ns)`];
  let previous = 0;
  const mark = (label: string, at: number | undefined) => {
    if (at === undefined) return;
    const offset = Math.max(0, at - query.startedAt) * NS_PER_MS;
    timeline.push(`       - ${label}: ${formatDuration(offset)} (${formatDuration(offset - previous)})`);
    previous = offset;
  };
  mark('Planning finished', query.startedAt);
  if (state === 'CANCELED') mark('Cancelled', query.endedAt);
  else if (ended) mark('Rows available', query.endedAt);
  mark('First row fetched', query.firstFetchAt);
  mark('Last row fetched', query.isExhausted ? query.lastFetchAt : undefined);
  mark('Unregister query', query.closedAt);
  const lines = [
    `Query (id=${formatImpalaId(query.guid)}):`,
    '  Summary:',
    `    Session ID: ${context.sessionIdText}`,
    '    Session Type: HIVESERVER2',
    '    HiveServer2 Protocol Version: V6',
    `    Start Time: ${formatTime(query.startedAt)}`,
    `    End Time: ${ended ? formatTime(query.endedAt!) : ''}`,
    ...(ended ? [`    Duration: ${formatDuration(elapsedNs(query, now))} (${Math.round(elapsedNs(query, now) / 1000)} us)`] : []),
    `    Query Type: ${query.result.type}`,
    `    Query State: ${beeswaxState}`,
    `    Impala Query State: ${impalaState}`,
    `    Query Status: ${state === 'CANCELED' ? CANCELLED_MESSAGE : 'OK'}`,
    `    Impala Version: ${context.version}`,
    `    User: ${query.user}`,
    `    Connected User: ${query.user}`,
    '    Delegated User: ',
    `    Network Address: ${query.networkAddress ?? ''}`,
    `    Default Db: ${query.database}`,
    `    Sql Statement: ${query.sql.replace(/\n/g, ' ')}`,
    `    Coordinator: ${context.coordinator}`,
    `    Query Options (set by configuration): ${options}`,
    `    Query Options (set by configuration and planner): ${options}`,
  ];
  if (query.result.type === 'QUERY') {
    lines.push('    ExecSummary: ', execSummaryTable(execSummary(query, now)), '    Errors: ');
  }
  lines.push(
    `    Query Timeline: ${formatDuration(Math.max(0, (query.closedAt ?? now) - query.startedAt) * NS_PER_MS)}`,
    ...timeline,
    '  ImpalaServer:',
    `     - NumRowsFetched: ${query.rowsFetched} (${query.rowsFetched})`,
    '     - NumRowsFetchedFromCache: 0 (0)',
    '',
  );
  return lines.join('\n');
}

/** The JSON format: the same profile as one node ({"contents": {profile_name, info_strings}}). */
export function runtimeProfileJson(query: SimulatedQuery, context: ProfileContext, now = Date.now()): string {
  const text = runtimeProfile(query, context, now);
  const info = text
    .split('\n')
    .filter((line) => /^ {4}[A-Z][^:]*: /.test(line))
    .map((line) => {
      const separator = line.indexOf(': ');
      return { key: line.slice(4, separator), value: line.slice(separator + 2) };
    });
  return JSON.stringify({ contents: { profile_name: `Query (id=${formatImpalaId(query.guid)})`, num_children: 0, info_strings: info, child_profiles: [] } });
}
