// How long each hs2 RPC may wait for its response headers. A coordinator whose hs2 port stops
// answering while its web UI still says OK (every fe_service_thread busy, a stuck frontend) held
// each request for the full headersTimeoutMs (600 s). The proxy knows the method, so the RPCs that
// impalad answers without waiting on a query get a short limit; an expired limit is a passive
// failure and is failed over like a reset (DESIGN §5).
import type { Config } from '../config/schema.ts';

/**
 * Answered promptly by impalad (be/src/service/impala-hs2-server.cc): they read or change query or
 * session state and return. GetOperationStatus waits at most the LONG_POLLING_TIME_MS query option
 * (0, no wait, by default; impala-hs2-server.cc WaitForCompletionExecState), so a client that sets
 * that above the prompt limit needs a per-method limit too. Not here, on purpose: ExecuteStatement
 * (planning can wait for catalog loads), FetchResults (waits for rows, FETCH_ROWS_TIMEOUT_MS,
 * unbounded with 0), and the metadata operations GetSchemas/GetTables/GetColumns/GetFunctions/
 * GetPrimaryKeys/GetCrossReference (they run in the frontend and can wait for the catalog).
 */
export const promptRpcs: readonly string[] = [
  'OpenSession',
  'CloseSession',
  'GetInfo',
  'GetTypeInfo',
  'GetCatalogs',
  'GetTableTypes',
  'GetOperationStatus',
  'CancelOperation',
  'CloseOperation',
  'CloseImpalaOperation',
  'GetResultSetMetadata',
  'GetLog',
  'GetExecSummary',
  'GetRuntimeProfile',
  'PingImpalaHS2Service',
  'GetBackendConfig',
  'GetExecutorMembership',
  'GetDelegationToken',
  'CancelDelegationToken',
  'RenewDelegationToken',
  'GetQueryId',
  'SetClientInfo',
];

export class RpcLimits {
  readonly #byMethod: ReadonlyMap<string, number>;
  readonly #default: number;

  constructor(upstream: Config['upstream']) {
    const byMethod = new Map<string, number>();
    for (const method of promptRpcs) byMethod.set(method, upstream.promptRpcTimeoutMs);
    for (const [method, ms] of Object.entries(upstream.rpcTimeoutsMs)) byMethod.set(method, ms);
    this.#byMethod = byMethod;
    this.#default = upstream.headersTimeoutMs;
  }

  /** Milliseconds to the response headers for `method` (undefined: not a Thrift call we know). */
  headersTimeoutMs(method: string | undefined): number {
    return (method === undefined ? undefined : this.#byMethod.get(method)) ?? this.#default;
  }
}
