import { describe, expect, it } from 'vitest';
import { QUERY_OPTIONS, findQueryOption, queryOptionsMap, setQueryOption } from '../../src/tools/simulator/query-options.ts';
import { formatDuration } from '../../src/tools/simulator/query-report.ts';
import { planStatement, type StatementContext } from '../../src/tools/simulator/statements.ts';

const context: StatementContext = { coordinatorName: 'c1', version: 'impalad version X', database: 'default', user: 'u', options: new Map() };

function rows(sql: string, options = new Map<string, string>()): (string | number)[][] {
  const planned = planStatement(sql, { ...context, options });
  if ('error' in planned) throw new Error(planned.error);
  const { result } = planned;
  return Array.from({ length: result.rowCount }, (_, row) => result.columns.map((_column, column) => result.value(row, column)));
}

describe('query options', () => {
  it("holds impalad 4.5's options with unique names and a level each", () => {
    const names = QUERY_OPTIONS.map((option) => option.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(186);
    expect(findQueryOption('mem_limit')).toEqual({ name: 'MEM_LIMIT', defaultValue: '0', level: 'REGULAR' });
    expect(findQueryOption('ENABLED_RUNTIME_FILTER_TYPES')?.defaultValue).toBe('BLOOM,MIN_MAX');
    expect(findQueryOption('RESOURCE_TRACE_RATIO')?.defaultValue).toBe('1.000000');
    expect(QUERY_OPTIONS.filter((option) => option.level === 'REMOVED').every((option) => option.defaultValue === '')).toBe(true);
  });

  it('sets case-insensitively, resets on an empty value, ignores removed options and names unknown ones', () => {
    const values = new Map<string, string>();
    expect(setQueryOption(values, 'Mem_Limit', '2g')).toBeUndefined();
    expect(values).toEqual(new Map([['MEM_LIMIT', '2g']]));
    expect(setQueryOption(values, 'mem_limit', '')).toBeUndefined();
    expect(values.size).toBe(0);
    expect(setQueryOption(values, 'max_io_buffers', '3')).toBeUndefined();
    expect(values.size).toBe(0);
    expect(setQueryOption(values, 'nope', '1')).toBe('Invalid query option: nope');
    expect(queryOptionsMap(new Map([['SYNC_DDL', '1']]))).toMatchObject({ SYNC_DDL: '1', ABORT_ON_ERROR: '0' });
  });
});

describe('planStatement', () => {
  it('answers SET with three columns and SET ALL with every level', () => {
    const planned = planStatement('set', context);
    expect('result' in planned && planned.result.columns.map((column) => column.name)).toEqual(['option', 'value', 'level']);
    const set = rows('SET;');
    expect(set.every((row) => row[2] === 'REGULAR' || row[2] === 'ADVANCED')).toBe(true);
    expect(rows(' set  all ').length).toBe(186);
    expect(rows('set all', new Map([['MT_DOP', '4']])).find((row) => row[0] === 'MT_DOP')).toEqual(['MT_DOP', '4', 'REGULAR']);
  });

  it('turns SET k=v, UNSET and USE into session effects', () => {
    expect(planStatement("set request_pool = 'a b'", context)).toMatchObject({ effect: { kind: 'set', key: 'request_pool', value: 'a b' } });
    expect(planStatement('set mt_dop=4;', context)).toMatchObject({ effect: { kind: 'set', key: 'mt_dop', value: '4' } });
    expect(planStatement('unset mt_dop', context)).toMatchObject({ effect: { kind: 'set', key: 'mt_dop', value: '' } });
    expect(planStatement('UNSET ALL', context)).toMatchObject({ effect: { kind: 'unset-all' } });
    expect(planStatement('use `DEFAULT`', context)).toMatchObject({ effect: { kind: 'use', database: 'default' }, result: { columns: [] } });
    expect(planStatement('use other', context)).toEqual({ error: 'AnalysisException: Database does not exist: other' });
  });

  it('keeps the test statements and the fallback answer', () => {
    expect(rows('select 1')).toEqual([['c1', 1]]);
    expect(rows('select range(3)')).toEqual([[0], [1], [2]]);
    expect(planStatement('select sleep(250)', context)).toMatchObject({ result: { runningMs: 250, type: 'QUERY' } });
    expect(rows('select version()')).toEqual([['impalad version X']]);
    expect(rows('select current_database()')).toEqual([['default']]);
  });
});

describe('formatDuration', () => {
  it("prints nanoseconds like Impala's PrettyPrinter", () => {
    expect(formatDuration(0)).toBe('0.000ns');
    expect(formatDuration(12_345)).toBe('12.345us');
    expect(formatDuration(12_345_678)).toBe('12.346ms');
    expect(formatDuration(1_002_000_000)).toBe('1s002ms');
    expect(formatDuration(125_000_000_000)).toBe('2m5s');
    expect(formatDuration(3_725_000_000_000)).toBe('1h2m5s');
  });
});
