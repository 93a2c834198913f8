// impalad's query options as `SET ALL` lists them: name, default value and level
// (apache/impala 4.5.0, be/src/service/query-options.h QUERY_OPTS_TABLE for the names and levels,
// common/thrift/Query.thrift TQueryOptions for the defaults, printed the way TQueryOptionsToMap
// prints them in be/src/service/query-options.cc: bools 0/1, enums by name, doubles with six
// decimals, sets comma-joined; an option without a default, and every removed option, is "").
// IDLE_SESSION_TIMEOUT is the --idle_session_timeout default (0), which impalad copies in.
// impala-shell reads the three columns at connect (impala_client.py _populate_query_options) and
// groups `SET` / `SET ALL` output by the level.

export type QueryOptionLevel = 'REGULAR' | 'ADVANCED' | 'DEVELOPMENT' | 'DEPRECATED' | 'REMOVED';

const LEVELS: Record<string, QueryOptionLevel> = { R: 'REGULAR', A: 'ADVANCED', D: 'DEVELOPMENT', P: 'DEPRECATED', X: 'REMOVED' };

/** [name, default, level: R regular, A advanced, D development, P deprecated, X removed]; in QUERY_OPTS_TABLE order. */
const TABLE: readonly (readonly [string, string, string])[] = [
  ['ABORT_ON_DEFAULT_LIMIT_EXCEEDED', '', 'X'],
  ['ABORT_ON_ERROR', '0', 'R'],
  ['ALLOW_UNSUPPORTED_FORMATS', '', 'X'],
  ['BATCH_SIZE', '0', 'D'],
  ['DEBUG_ACTION', '', 'D'],
  ['DEFAULT_ORDER_BY_LIMIT', '', 'X'],
  ['DISABLE_CACHED_READS', '', 'X'],
  ['DISABLE_OUTERMOST_TOPN', '0', 'D'],
  ['DISABLE_CODEGEN', '0', 'R'],
  ['EXPLAIN_LEVEL', 'STANDARD', 'R'],
  ['HBASE_CACHE_BLOCKS', '0', 'A'],
  ['HBASE_CACHING', '0', 'A'],
  ['MAX_ERRORS', '100', 'A'],
  ['MAX_IO_BUFFERS', '', 'X'],
  ['MAX_SCAN_RANGE_LENGTH', '0', 'D'],
  ['MEM_LIMIT', '0', 'R'],
  ['NUM_NODES', '0', 'D'],
  ['NUM_SCANNER_THREADS', '0', 'R'],
  ['COMPRESSION_CODEC', '', 'R'],
  ['PARQUET_FILE_SIZE', '0', 'A'],
  ['REQUEST_POOL', '', 'R'],
  ['RESERVATION_REQUEST_TIMEOUT', '', 'X'],
  ['SYNC_DDL', '0', 'R'],
  ['V_CPU_CORES', '', 'X'],
  ['RM_INITIAL_MEM', '', 'X'],
  ['QUERY_TIMEOUT_S', '0', 'R'],
  ['BUFFER_POOL_LIMIT', '', 'A'],
  ['APPX_COUNT_DISTINCT', '0', 'A'],
  ['DISABLE_UNSAFE_SPILLS', '0', 'R'],
  ['SEQ_COMPRESSION_MODE', '', 'X'],
  ['EXEC_SINGLE_NODE_ROWS_THRESHOLD', '100', 'A'],
  ['OPTIMIZE_PARTITION_KEY_SCANS', '0', 'R'],
  ['REPLICA_PREFERENCE', 'CACHE_LOCAL', 'A'],
  ['SCHEDULE_RANDOM_REPLICA', '0', 'A'],
  ['SCAN_NODE_CODEGEN_THRESHOLD', '', 'X'],
  ['DISABLE_STREAMING_PREAGGREGATIONS', '0', 'R'],
  ['RUNTIME_FILTER_MODE', 'GLOBAL', 'R'],
  ['RUNTIME_BLOOM_FILTER_SIZE', '1048576', 'A'],
  ['RUNTIME_FILTER_WAIT_TIME_MS', '0', 'R'],
  ['DISABLE_ROW_RUNTIME_FILTERING', '0', 'R'],
  ['MAX_NUM_RUNTIME_FILTERS', '10', 'A'],
  ['PARQUET_ANNOTATE_STRINGS_UTF8', '0', 'A'],
  ['PARQUET_FALLBACK_SCHEMA_RESOLUTION', 'POSITION', 'R'],
  ['MT_DOP', '', 'R'],
  ['S3_SKIP_INSERT_STAGING', '1', 'R'],
  ['RUNTIME_FILTER_MIN_SIZE', '1048576', 'A'],
  ['RUNTIME_FILTER_MAX_SIZE', '16777216', 'A'],
  ['PREFETCH_MODE', 'HT_BUCKET', 'A'],
  ['STRICT_MODE', '0', 'D'],
  ['SCRATCH_LIMIT', '-1', 'R'],
  ['ENABLE_EXPR_REWRITES', '1', 'A'],
  ['ENABLE_CNF_REWRITES', '1', 'A'],
  ['DECIMAL_V2', '1', 'D'],
  ['PARQUET_DICTIONARY_FILTERING', '1', 'A'],
  ['PARQUET_ARRAY_RESOLUTION', 'THREE_LEVEL', 'R'],
  ['PARQUET_READ_STATISTICS', '1', 'A'],
  ['DEFAULT_JOIN_DISTRIBUTION_MODE', 'BROADCAST', 'A'],
  ['DISABLE_CODEGEN_ROWS_THRESHOLD', '50000', 'A'],
  ['DEFAULT_SPILLABLE_BUFFER_SIZE', '2097152', 'A'],
  ['MIN_SPILLABLE_BUFFER_SIZE', '65536', 'A'],
  ['MAX_ROW_SIZE', '524288', 'R'],
  ['IDLE_SESSION_TIMEOUT', '0', 'R'],
  ['COMPUTE_STATS_MIN_SAMPLE_SIZE', '1073741824', 'A'],
  ['EXEC_TIME_LIMIT_S', '0', 'R'],
  ['SHUFFLE_DISTINCT_EXPRS', '1', 'A'],
  ['MAX_MEM_ESTIMATE_FOR_ADMISSION', '0', 'A'],
  ['THREAD_RESERVATION_LIMIT', '3000', 'R'],
  ['THREAD_RESERVATION_AGGREGATE_LIMIT', '0', 'R'],
  ['KUDU_READ_MODE', 'DEFAULT', 'A'],
  ['ALLOW_ERASURE_CODED_FILES', '1', 'D'],
  ['TIMEZONE', '', 'R'],
  ['SCAN_BYTES_LIMIT', '0', 'A'],
  ['CPU_LIMIT_S', '0', 'D'],
  ['TOPN_BYTES_LIMIT', '536870912', 'A'],
  ['CLIENT_IDENTIFIER', '', 'A'],
  ['RESOURCE_TRACE_RATIO', '1.000000', 'A'],
  ['NUM_REMOTE_EXECUTOR_CANDIDATES', '3', 'A'],
  ['NUM_ROWS_PRODUCED_LIMIT', '0', 'A'],
  ['PLANNER_TESTCASE_MODE', '0', 'D'],
  ['DEFAULT_FILE_FORMAT', 'TEXT', 'R'],
  ['PARQUET_TIMESTAMP_TYPE', 'INT96_NANOS', 'D'],
  ['PARQUET_READ_PAGE_INDEX', '1', 'A'],
  ['PARQUET_WRITE_PAGE_INDEX', '1', 'A'],
  ['PARQUET_PAGE_ROW_COUNT_LIMIT', '', 'A'],
  ['DISABLE_HDFS_NUM_ROWS_ESTIMATE', '0', 'R'],
  ['DEFAULT_HINTS_INSERT_STATEMENT', '', 'R'],
  ['SPOOL_QUERY_RESULTS', '1', 'D'],
  ['DEFAULT_TRANSACTIONAL_TYPE', 'NONE', 'A'],
  ['STATEMENT_EXPRESSION_LIMIT', '250000', 'R'],
  ['MAX_STATEMENT_LENGTH_BYTES', '16777216', 'R'],
  ['DISABLE_DATA_CACHE', '0', 'A'],
  ['MAX_RESULT_SPOOLING_MEM', '104857600', 'D'],
  ['MAX_SPILLED_RESULT_SPOOLING_MEM', '1073741824', 'D'],
  ['DISABLE_HBASE_NUM_ROWS_ESTIMATE', '0', 'A'],
  ['FETCH_ROWS_TIMEOUT_MS', '10000', 'A'],
  ['NOW_STRING', '', 'D'],
  ['PARQUET_OBJECT_STORE_SPLIT_SIZE', '268435456', 'A'],
  ['MEM_LIMIT_EXECUTORS', '0', 'A'],
  ['BROADCAST_BYTES_LIMIT', '34359738368', 'A'],
  ['PREAGG_BYTES_LIMIT', '-1', 'A'],
  ['MAX_CNF_EXPRS', '200', 'A'],
  ['KUDU_SNAPSHOT_READ_TIMESTAMP_MICROS', '0', 'A'],
  ['RETRY_FAILED_QUERIES', '0', 'R'],
  ['ENABLED_RUNTIME_FILTER_TYPES', 'BLOOM,MIN_MAX', 'A'],
  ['ASYNC_CODEGEN', '0', 'D'],
  ['ENABLE_DISTINCT_SEMI_JOIN_OPTIMIZATION', '1', 'A'],
  ['SORT_RUN_BYTES_LIMIT', '-1', 'A'],
  ['MAX_FS_WRITERS', '0', 'A'],
  ['REFRESH_UPDATED_HMS_PARTITIONS', '0', 'A'],
  ['SPOOL_ALL_RESULTS_FOR_RETRIES', '1', 'A'],
  ['RUNTIME_FILTER_ERROR_RATE', '', 'A'],
  ['USE_LOCAL_TZ_FOR_UNIX_TIMESTAMP_CONVERSIONS', '0', 'A'],
  ['CONVERT_LEGACY_HIVE_PARQUET_UTC_TIMESTAMPS', '0', 'A'],
  ['ENABLE_OUTER_JOIN_TO_INNER_TRANSFORMATION', '0', 'A'],
  ['TARGETED_KUDU_SCAN_RANGE_LENGTH', '-1', 'A'],
  ['REPORT_SKEW_LIMIT', '1.000000', 'A'],
  ['OPTIMIZE_SIMPLE_LIMIT', '0', 'R'],
  ['USE_DOP_FOR_COSTING', '1', 'A'],
  ['BROADCAST_TO_PARTITION_FACTOR', '1.000000', 'A'],
  ['JOIN_ROWS_PRODUCED_LIMIT', '0', 'A'],
  ['UTF8_MODE', '0', 'D'],
  ['ANALYTIC_RANK_PUSHDOWN_THRESHOLD', '1000', 'A'],
  ['MINMAX_FILTER_THRESHOLD', '0.000000', 'A'],
  ['MINMAX_FILTERING_LEVEL', 'ROW_GROUP', 'A'],
  ['COMPUTE_COLUMN_MINMAX_STATS', '0', 'A'],
  ['SHOW_COLUMN_MINMAX_STATS', '0', 'A'],
  ['DEFAULT_NDV_SCALE', '2', 'A'],
  ['KUDU_REPLICA_SELECTION', 'CLOSEST_REPLICA', 'A'],
  ['DELETE_STATS_IN_TRUNCATE', '1', 'A'],
  ['PARQUET_BLOOM_FILTERING', '1', 'A'],
  ['MINMAX_FILTER_SORTED_COLUMNS', '1', 'A'],
  ['MINMAX_FILTER_FAST_CODE_PATH', 'ON', 'A'],
  ['ENABLE_KUDU_TRANSACTION', '0', 'D'],
  ['MINMAX_FILTER_PARTITION_COLUMNS', '1', 'A'],
  ['PARQUET_BLOOM_FILTER_WRITE', 'IF_NO_DICT', 'A'],
  ['ORC_READ_STATISTICS', '1', 'A'],
  ['ENABLE_ASYNC_DDL_EXECUTION', '1', 'A'],
  ['ENABLE_ASYNC_LOAD_DATA_EXECUTION', '1', 'A'],
  ['PARQUET_LATE_MATERIALIZATION_THRESHOLD', '20', 'A'],
  ['PARQUET_DICTIONARY_RUNTIME_FILTER_ENTRY_LIMIT', '1024', 'A'],
  ['ABORT_JAVA_UDF_ON_EXCEPTION', '0', 'A'],
  ['ORC_ASYNC_READ', '1', 'A'],
  ['RUNTIME_IN_LIST_FILTER_ENTRY_LIMIT', '1024', 'A'],
  ['ENABLE_REPLAN', '1', 'A'],
  ['TEST_REPLAN', '0', 'A'],
  ['LOCK_MAX_WAIT_TIME_S', '300', 'R'],
  ['ORC_SCHEMA_RESOLUTION', 'POSITION', 'R'],
  ['EXPAND_COMPLEX_TYPES', '0', 'R'],
  ['FALLBACK_DB_FOR_FUNCTIONS', '', 'A'],
  ['DISABLE_CODEGEN_CACHE', '0', 'A'],
  ['CODEGEN_CACHE_MODE', 'NORMAL', 'D'],
  ['STRINGIFY_MAP_KEYS', '0', 'A'],
  ['ENABLE_TRIVIAL_QUERY_FOR_ADMISSION', '1', 'R'],
  ['COMPUTE_PROCESSING_COST', '0', 'A'],
  ['PROCESSING_COST_MIN_THREADS', '1', 'A'],
  ['JOIN_SELECTIVITY_CORRELATION_FACTOR', '0.000000', 'A'],
  ['MAX_FRAGMENT_INSTANCES_PER_NODE', '128', 'A'],
  ['MAX_SORT_RUN_SIZE', '0', 'D'],
  ['ALLOW_UNSAFE_CASTS', '0', 'D'],
  ['NUM_THREADS_FOR_TABLE_MIGRATION', '1', 'A'],
  ['DISABLE_OPTIMIZED_ICEBERG_V2_READ', '0', 'A'],
  ['VALUES_STMT_AVOID_LOSSY_CHAR_PADDING', '0', 'R'],
  ['LARGE_AGG_MEM_THRESHOLD', '536870912', 'A'],
  ['AGG_MEM_CORRELATION_FACTOR', '0.500000', 'A'],
  ['MEM_LIMIT_COORDINATORS', '0', 'A'],
  ['ICEBERG_PREDICATE_PUSHDOWN_SUBSETTING', '1', 'D'],
  ['HDFS_SCANNER_NON_RESERVED_BYTES', '-1', 'A'],
  ['CODEGEN_OPT_LEVEL', 'O2', 'A'],
  ['KUDU_TABLE_RESERVE_SECONDS', '0', 'A'],
  ['CONVERT_KUDU_UTC_TIMESTAMPS', '0', 'A'],
  ['DISABLE_KUDU_LOCAL_TIMESTAMP_BLOOM_FILTER', '1', 'A'],
  ['RUNTIME_FILTER_CARDINALITY_REDUCTION_SCALE', '1.000000', 'D'],
  ['MAX_NUM_FILTERS_AGGREGATED_PER_HOST', '-1', 'D'],
  ['QUERY_CPU_COUNT_DIVISOR', '', 'A'],
  ['ENABLE_TUPLE_CACHE', '0', 'A'],
  ['ICEBERG_DISABLE_COUNT_STAR_OPTIMIZATION', '0', 'A'],
  ['RUNTIME_FILTER_IDS_TO_SKIP', '', 'D'],
  ['SLOT_COUNT_STRATEGY', 'LARGEST_FRAGMENT', 'A'],
  ['CLEAN_DBCP_DS_CACHE', '1', 'A'],
  ['USE_NULL_SLOTS_CACHE', '1', 'A'],
  ['WRITE_KUDU_UTC_TIMESTAMPS', '0', 'A'],
  ['DISABLE_OPTIMIZED_JSON_COUNT_STAR', '0', 'A'],
  ['LONG_POLLING_TIME_MS', '0', 'R'],
  ['ENABLE_TUPLE_CACHE_VERIFICATION', '0', 'A'],
  ['ENABLE_TUPLE_ANALYSIS_IN_AGGREGATE', '1', 'A'],
  ['ESTIMATE_DUPLICATE_IN_PREAGG', '1', 'A'],
];

export interface QueryOption {
  name: string;
  defaultValue: string;
  level: QueryOptionLevel;
}

export const QUERY_OPTIONS: readonly QueryOption[] = Object.freeze(
  TABLE.map(([name, defaultValue, level]) => Object.freeze({ name, defaultValue, level: LEVELS[level]! })),
);

const BY_NAME = new Map(QUERY_OPTIONS.map((option) => [option.name, option]));

/** GetQueryOptionForKey: names are case-insensitive. */
export function findQueryOption(key: string): QueryOption | undefined {
  return BY_NAME.get(key.toUpperCase());
}

/** Session or query options: upper-case option name → value, for the options that were set. */
export type QueryOptionValues = ReadonlyMap<string, string>;

/**
 * SetQueryOption(key, value) into `into`; returns the error text or undefined. An unknown key is
 * `Invalid query option: <key>`; a removed option is accepted and ignored (IsRemovedQueryOption);
 * an empty value resets the option to its default. Values are kept as given (impalad parses and
 * re-prints them; the simulator does not validate types).
 */
export function setQueryOption(into: Map<string, string>, key: string, value: string): string | undefined {
  const option = findQueryOption(key);
  if (!option) return `Invalid query option: ${key}`;
  if (option.level === 'REMOVED') return undefined;
  if (value === '') into.delete(option.name);
  else into.set(option.name, value);
  return undefined;
}

/** TQueryOptionsToMap: every option, the set value or the default. */
export function queryOptionsMap(values: QueryOptionValues): Record<string, string> {
  const map: Record<string, string> = {};
  for (const option of QUERY_OPTIONS) map[option.name] = values.get(option.name) ?? option.defaultValue;
  return map;
}
