// What the simulator "runs": a few test statements whose result size and timing are controlled
// by the SQL text, and a small fixed result for everything else.
import { TypeId } from '../thrift/hs2-types.ts';

export interface ResultColumn {
  name: string;
  type: typeof TypeId.STRING | typeof TypeId.BIGINT;
}

export interface StatementResult {
  columns: ResultColumn[];
  /** Row count. */
  rowCount: number;
  /** Value of column `column` in row `row`. */
  value(row: number, column: number): string | number;
  /** The operation reports RUNNING_STATE for this long after ExecuteStatement. */
  runningMs: number;
}

/** Largest `repeat_bytes` value: a Thrift string holds at most 2^31-1 bytes; keep memory sane. */
export const MAX_REPEAT_BYTES = 256 * 1024 * 1024;
const MAX_RANGE_ROWS = 10_000_000;

const REPEAT_BYTES = /^\s*select\s+repeat_bytes\s*\(\s*(\d+)\s*\)\s*;?\s*$/i;
const RANGE = /^\s*select\s+range\s*\(\s*(\d+)\s*\)\s*;?\s*$/i;
const SLEEP = /^\s*select\s+sleep\s*\(\s*(\d+)\s*\)\s*;?\s*$/i;

/**
 * - `select repeat_bytes(N)`: one STRING column, one row, a value of N bytes (all in one fetch);
 * - `select range(N)`: one BIGINT column `i`, rows 0..N-1 (fetched in maxRows batches);
 * - `select sleep(MS)`: RUNNING_STATE for MS, then one row;
 * - anything else: one row `(coordinator, value)` = (this coordinator's name, 1).
 */
export function runStatement(sql: string, coordinatorName: string): StatementResult {
  let match = REPEAT_BYTES.exec(sql);
  if (match) {
    const size = Math.min(Number(match[1]), MAX_REPEAT_BYTES);
    let text: string | undefined;
    return {
      columns: [{ name: 'repeat_bytes', type: TypeId.STRING }],
      rowCount: 1,
      value: () => (text ??= 'x'.repeat(size)),
      runningMs: 0,
    };
  }
  match = RANGE.exec(sql);
  if (match) {
    return {
      columns: [{ name: 'i', type: TypeId.BIGINT }],
      rowCount: Math.min(Number(match[1]), MAX_RANGE_ROWS),
      value: (row) => row,
      runningMs: 0,
    };
  }
  match = SLEEP.exec(sql);
  return {
    columns: [
      { name: 'coordinator', type: TypeId.STRING },
      { name: 'value', type: TypeId.BIGINT },
    ],
    rowCount: 1,
    value: (_row, column) => (column === 0 ? coordinatorName : 1),
    runningMs: match ? Number(match[1]) : 0,
  };
}
