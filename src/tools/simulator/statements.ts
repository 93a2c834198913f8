// What the simulator "runs": the statements an interactive impala-shell or impyla session sends
// (SET, SET ALL, UNSET, USE, SHOW DATABASES, version() and friends), a few test statements whose
// result size and timing are controlled by the SQL text, and a small fixed result for everything
// else. Result shapes follow impalad: SET returns three STRING columns option, value, level
// (fe Frontend.java createExecRequest, be ClientRequestState::PopulateResultForSet); USE returns
// no result set (Frontend.createCatalogOpRequest sets no columns, so hasResultSet is false).
import { TypeId } from '../thrift/hs2-types.ts';
import { QUERY_OPTIONS, queryOptionsMap, type QueryOptionValues } from './query-options.ts';

export interface ResultColumn {
  name: string;
  type: typeof TypeId.STRING | typeof TypeId.BIGINT;
}

/**
 * The profile's "Query Type". QUERY runs on the backend (a coordinator: exec summary, progress,
 * the scan-progress line of GetLog); SET and DDL (USE, SHOW) are answered by impalad alone.
 */
export type StatementType = 'QUERY' | 'SET' | 'DDL';

export interface StatementResult {
  type: StatementType;
  /** Empty: the statement has no result set (hasResultSet false). */
  columns: ResultColumn[];
  /** Row count. */
  rowCount: number;
  /** Value of column `column` in row `row`. */
  value(row: number, column: number): string | number;
  /** The operation reports RUNNING_STATE for this long after ExecuteStatement. */
  runningMs: number;
}

/** A change to the session that the statement makes when it runs. */
export type SessionEffect =
  | { kind: 'set'; key: string; value: string }
  | { kind: 'unset-all' }
  | { kind: 'use'; database: string };

export type PlannedStatement = { result: StatementResult; effect?: SessionEffect } | { error: string };

export interface StatementContext {
  coordinatorName: string;
  /** What version() returns: `impalad version … RELEASE (build …)\nBuilt on …`. */
  version: string;
  database: string;
  user: string;
  /** The query's options as set (session options overlaid with confOverlay). */
  options: QueryOptionValues;
}

/** Largest `repeat_bytes` value: a Thrift string holds at most 2^31-1 bytes; keep memory sane. */
export const MAX_REPEAT_BYTES = 256 * 1024 * 1024;
const MAX_RANGE_ROWS = 10_000_000;

/** The databases the simulated catalog has (SHOW DATABASES on a fresh cluster lists these two). */
const DATABASES: readonly (readonly [name: string, comment: string])[] = [
  ['_impala_builtins', 'System database for Impala builtin functions'],
  ['default', 'Default Hive database'],
];

const END = String.raw`\s*;?\s*$`;
const REPEAT_BYTES = new RegExp(String.raw`^\s*select\s+repeat_bytes\s*\(\s*(\d+)\s*\)${END}`, 'i');
const RANGE = new RegExp(String.raw`^\s*select\s+range\s*\(\s*(\d+)\s*\)${END}`, 'i');
const SLEEP = new RegExp(String.raw`^\s*select\s+sleep\s*\(\s*(\d+)\s*\)${END}`, 'i');
const SELECT_FUNCTION = new RegExp(String.raw`^\s*select\s+(version|current_database|user|logged_in_user|effective_user)\s*\(\s*\)${END}`, 'i');
const SET_LIST = new RegExp(String.raw`^\s*set(\s+all)?${END}`, 'i');
const SET_OPTION = new RegExp(String.raw`^\s*set\s+([A-Za-z_][\w.]*)\s*=\s*(.*?)${END}`, 'is');
const UNSET = new RegExp(String.raw`^\s*unset\s+(all|[A-Za-z_][\w.]*)${END}`, 'i');
const USE = new RegExp(String.raw`^\s*use\s+(\x60?)([A-Za-z0-9_]+)\1${END}`, 'i');
const SHOW_DATABASES = new RegExp(String.raw`^\s*show\s+(databases|schemas)${END}`, 'i');

const STRING3: ResultColumn[] = [
  { name: 'option', type: TypeId.STRING },
  { name: 'value', type: TypeId.STRING },
  { name: 'level', type: TypeId.STRING },
];

function table(type: StatementType, columns: ResultColumn[], rows: readonly (readonly (string | number)[])[]): StatementResult {
  return { type, columns, rowCount: rows.length, value: (row, column) => rows[row]![column]!, runningMs: 0 };
}

/** A SET value as written: quotes around it are the SQL string literal's. */
function unquote(value: string): string {
  const match = /^(['"])(.*)\1$/s.exec(value);
  return match ? match[2]! : value;
}

/** PopulateResultForSet: every option sorted by name (a std::map); SET leaves out development, deprecated and removed ones. */
function setResult(options: QueryOptionValues, all: boolean): StatementResult {
  const values = queryOptionsMap(options);
  const rows = QUERY_OPTIONS.filter((option) => all || option.level === 'REGULAR' || option.level === 'ADVANCED')
    .map((option) => [option.name, values[option.name]!, option.level] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return table('SET', STRING3, rows);
}

/**
 * - `set` / `set all`: the query options (three columns); `set k=v`, `unset k`, `unset all`: no rows;
 * - `use db`: no result set; `show databases`: (name, comment);
 * - `select version()` / `current_database()` / `user()` / `logged_in_user()` / `effective_user()`;
 * - `select repeat_bytes(N)`: one STRING column, one row, a value of N bytes (all in one fetch);
 * - `select range(N)`: one BIGINT column `i`, rows 0..N-1 (fetched in maxRows batches);
 * - `select sleep(MS)`: RUNNING_STATE for MS, then one row (coordinator, 1);
 * - anything else: one row `(coordinator, value)` = (this coordinator's name, 1).
 */
export function planStatement(sql: string, context: StatementContext): PlannedStatement {
  let match = SET_LIST.exec(sql);
  if (match) return { result: setResult(context.options, match[1] !== undefined) };
  match = SET_OPTION.exec(sql);
  if (match) {
    const [, key, value] = match as unknown as [string, string, string];
    return { result: table('SET', STRING3, []), effect: { kind: 'set', key, value: unquote(value.trim()) } };
  }
  match = UNSET.exec(sql);
  if (match) {
    const target = match[1]!;
    const effect: SessionEffect = target.toUpperCase() === 'ALL' ? { kind: 'unset-all' } : { kind: 'set', key: target, value: '' };
    return { result: table('SET', STRING3, []), effect };
  }
  match = USE.exec(sql);
  if (match) {
    const database = match[2]!.toLowerCase();
    if (!DATABASES.some(([name]) => name === database)) return { error: `AnalysisException: Database does not exist: ${match[2]}` };
    return { result: table('DDL', [], []), effect: { kind: 'use', database } };
  }
  if (SHOW_DATABASES.test(sql)) {
    return {
      result: table('DDL', [{ name: 'name', type: TypeId.STRING }, { name: 'comment', type: TypeId.STRING }], DATABASES),
    };
  }
  match = SELECT_FUNCTION.exec(sql);
  if (match) {
    const name = match[1]!.toLowerCase();
    const value = name === 'version' ? context.version : name === 'current_database' ? context.database : context.user;
    return { result: table('QUERY', [{ name: `${name}()`, type: TypeId.STRING }], [[value]]) };
  }
  return { result: runTestStatement(sql, context.coordinatorName) };
}

function runTestStatement(sql: string, coordinatorName: string): StatementResult {
  let match = REPEAT_BYTES.exec(sql);
  if (match) {
    const size = Math.min(Number(match[1]), MAX_REPEAT_BYTES);
    let text: string | undefined;
    return {
      type: 'QUERY',
      columns: [{ name: 'repeat_bytes', type: TypeId.STRING }],
      rowCount: 1,
      value: () => (text ??= 'x'.repeat(size)),
      runningMs: 0,
    };
  }
  match = RANGE.exec(sql);
  if (match) {
    return {
      type: 'QUERY',
      columns: [{ name: 'i', type: TypeId.BIGINT }],
      rowCount: Math.min(Number(match[1]), MAX_RANGE_ROWS),
      value: (row) => row,
      runningMs: 0,
    };
  }
  match = SLEEP.exec(sql);
  return {
    type: 'QUERY',
    columns: [
      { name: 'coordinator', type: TypeId.STRING },
      { name: 'value', type: TypeId.BIGINT },
    ],
    rowCount: 1,
    value: (_row, column) => (column === 0 ? coordinatorName : 1),
    runningMs: match ? Number(match[1]) : 0,
  };
}
