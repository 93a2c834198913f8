// The TCLIService / ImpalaHiveServer2Service state machine of one simulated impalad: sessions,
// queries, results, query options, and the exact statuses and error texts of
// be/src/service/impala-hs2-server.cc (research §3, §5). The same service answers the hs2-http
// and the binary hs2 port, so a session is valid on both ports of its coordinator and nowhere else.
import { randomBytes } from 'node:crypto';
import {
  GetInfoType,
  OperationState,
  OperationType,
  ProtocolVersion,
  RuntimeProfileFormat,
  StatusCode,
  TypeId,
  formatImpalaId,
  i64ToNumber,
  type Hs2Handler,
  type TColumn,
  type THandleIdentifier,
  type TOperationHandle,
  type TSessionHandle,
  type TStatus,
} from '../thrift/hs2.ts';
import { SimulatedQuery, type QueryState } from './query.ts';
import { CANCELLED_MESSAGE, execSummary, queryErrorText, queryLog, runtimeProfile, runtimeProfileJson } from './query-report.ts';
import { findQueryOption, queryOptionsMap, setQueryOption } from './query-options.ts';
import { planStatement, type SessionEffect } from './statements.ts';

/** What the transport layer (hs2-http or binary hs2) knows about the RPC it is handing over. */
export interface RpcContext {
  /** The authenticated user, or undefined when the coordinator has no authentication configured. */
  user: string | undefined;
  /** Filled in by the service: the session the RPC belongs to (hex of the 16-byte guid). */
  sessionGuidHex?: string;
  /** `address:port` of the client, shown as the profile's Network Address. */
  remote?: string;
}

export interface SessionInfo {
  id: string;
  guid: Buffer;
  secret: Buffer;
  user: string;
  openedAt: number;
  /** The OpenSession configuration as the client sent it, plus `http_addr`. */
  configuration: Record<string, string>;
  /** Current database (`use:database` in the configuration, then USE statements). */
  database: string;
  /** Query options set for the session (configuration, SET statements): upper-case name → value. */
  queryOptions: Record<string, string>;
}

export interface QueryInfo {
  id: string;
  guid: Buffer;
  sessionGuidHex: string;
  statement: string;
  state: QueryState;
  startedAt: number;
  rowsFetched: number;
}

interface Session {
  id: string;
  guid: Buffer;
  secret: Buffer;
  user: string;
  openedAt: number;
  configuration: Record<string, string>;
  database: string;
  options: Map<string, string>;
  networkAddress: string | undefined;
  queries: Set<string>;
}

export interface Hs2ServiceOptions {
  name: string;
  /** The build version, e.g. `4.5.0-SIMULATED` (GetInfo DBMS_VER). */
  version: string;
  /** `host:port` of the web UI, returned as `http_addr` in the OpenSession configuration. */
  webuiAddress: () => string;
  webuiUrl: () => string;
  isQuiescing: () => boolean;
  /** Aborts when the coordinator stops: RPCs blocked on a query (fetch, long polling) end. */
  signal: AbortSignal;
  /** Closed queries kept for GetExecSummary / GetRuntimeProfile (impalad --query_log_size). Default 200. */
  queryLogSize?: number;
}

const SQL_STATE_GENERAL_ERROR = 'HY000';
const SQL_STATE_NOT_IMPLEMENTED = 'HYC00';
/** Keys of confOverlay that are not query options (impala-hs2-server.cc, child-query.cc). */
const OVERLAY_NON_OPTIONS = new Set(['impala.resultset.cache.size', 'impala.parent_query_id']);
/** Hive JDBC prefixes OpenSession configuration keys with this (IMPALA-11992). */
const HIVECONF_PREFIX = 'set:hiveconf:';
/** FETCH_ROWS_TIMEOUT_MS <= 0 waits for rows without a limit. */
const NO_TIMEOUT_MS = 2 ** 31 - 1;

function ok(): TStatus {
  return { statusCode: StatusCode.SUCCESS };
}

/** HS2_RETURN_IF_ERROR copies Status::GetDetail(), which ends with a newline. */
function error(detail: string, sqlState = SQL_STATE_GENERAL_ERROR): TStatus {
  return { statusCode: StatusCode.ERROR, sqlState, errorMessage: `${detail}\n` };
}

/** An error while a query id is in the thread context: QUERY_ERROR_FORMAT around the detail. */
function queryError(query: SimulatedQuery, detail: string): TStatus {
  return { statusCode: StatusCode.ERROR, sqlState: SQL_STATE_GENERAL_ERROR, errorMessage: queryErrorText(query, detail) };
}

function invalidSession(guid: Buffer): TStatus {
  return error(`Invalid session id: ${formatImpalaId(guid)}`);
}

/** QUERY_ERROR_FORMAT around TErrorCode INVALID_QUERY_HANDLE, plus GetDetail()'s newline. */
function invalidQuery(guid: Buffer): TStatus {
  const id = formatImpalaId(guid);
  return error(`Query ${id} failed:\nInvalid or unknown query handle: ${id}.\n`);
}

/** GetQueryRecord's LEGACY_INVALID_QUERY_HANDLE_TEMPLATE for a query in neither map nor log. */
function queryNotFound(guid: Buffer): TStatus {
  const id = formatImpalaId(guid);
  return error(`Query ${id} failed:\nQuery id ${id} not found.\n`);
}

function hex(buffer: Buffer): string {
  return buffer.toString('hex');
}

function optionMs(query: SimulatedQuery, name: string, fallback: number): number {
  const value = Number(query.options.get(name) ?? findQueryOption(name)?.defaultValue ?? fallback);
  return Number.isFinite(value) ? value : fallback;
}

/** The service object handed to handleCall; one per coordinator run (a restart loses everything). */
export class Hs2Service implements Hs2Handler<RpcContext> {
  readonly #options: Hs2ServiceOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #queries = new Map<string, SimulatedQuery>();
  /** Unregistered queries, oldest first: GetExecSummary and GetRuntimeProfile still find them. */
  readonly #queryLog = new Map<string, SimulatedQuery>();
  /** GetVersionString(true) and version()'s GetVersionString(false). */
  readonly #versionString: string;
  readonly #versionFunction: string;

  constructor(options: Hs2ServiceOptions) {
    this.#options = options;
    this.#versionString = `impalad version ${options.version} RELEASE (build simulated)`;
    this.#versionFunction = `${this.#versionString}\nBuilt on ${new Date().toUTCString()}`;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  sessions(): SessionInfo[] {
    return [...this.#sessions.values()].map((session) => ({
      id: session.id,
      guid: session.guid,
      secret: session.secret,
      user: session.user,
      openedAt: session.openedAt,
      configuration: session.configuration,
      database: session.database,
      queryOptions: Object.fromEntries(session.options),
    }));
  }

  /** Registered (not yet closed) queries. */
  queries(): QueryInfo[] {
    return [...this.#queries.values()].map((query) => ({
      id: query.id,
      guid: query.guid,
      sessionGuidHex: query.sessionGuidHex,
      statement: query.sql.length > 256 ? `${query.sql.slice(0, 256)}…` : query.sql,
      state: query.state,
      startedAt: query.startedAt,
      rowsFetched: query.rowsFetched,
    }));
  }

  /** Closes a session from the web UI (/close_session). */
  closeSessionById(idHex: string): boolean {
    const session = this.#sessions.get(idHex);
    if (!session) return false;
    this.#dropSession(session);
    return true;
  }

  #shuttingDown(): TStatus | undefined {
    return this.#options.isQuiescing()
      ? error('Server is being shut down: the simulated impalad is quiescing (graceful shutdown in progress).')
      : undefined;
  }

  #userMismatch(context: RpcContext, session: Session): TStatus | undefined {
    if (context.user === undefined || context.user === session.user) return undefined;
    return error(`The user authorized on the connection '${context.user}' does not match the session username '${session.user}'`);
  }

  /** GetSessionState: unknown guid or wrong secret → invalid session; then the per-RPC user check. */
  #session(handle: TSessionHandle | null | undefined, context: RpcContext): Session | TStatus {
    const id = handle?.sessionId;
    if (!id?.guid) return invalidSession(Buffer.alloc(16));
    const session = this.#sessions.get(hex(id.guid));
    if (!session || !id.secret || !session.secret.equals(id.secret)) return invalidSession(id.guid);
    context.sessionGuidHex = session.id;
    return this.#userMismatch(context, session) ?? session;
  }

  /** GetActiveQueryHandle, then the session check with the operation's secret. */
  #query(handle: TOperationHandle | null | undefined, context: RpcContext): SimulatedQuery | TStatus {
    const id = handle?.operationId;
    if (!id?.guid) return invalidQuery(Buffer.alloc(16));
    const query = this.#queries.get(hex(id.guid));
    if (!query || !id.secret || !query.secret.equals(id.secret)) return invalidQuery(id.guid);
    const session = this.#sessions.get(query.sessionGuidHex);
    if (!session) return invalidQuery(id.guid);
    context.sessionGuidHex = session.id;
    return this.#userMismatch(context, session) ?? query;
  }

  /** A query, registered or in the query log (GetExecSummary, GetRuntimeProfile). */
  #anyQuery(handle: TOperationHandle | null | undefined): SimulatedQuery | TStatus {
    const guid = handle?.operationId?.guid;
    if (!guid) return queryNotFound(Buffer.alloc(16));
    return this.#queries.get(hex(guid)) ?? this.#queryLog.get(hex(guid)) ?? queryNotFound(guid);
  }

  /** UnregisterQuery: cancel if running, move to the query log (bounded, oldest dropped). */
  #unregister(query: SimulatedQuery): void {
    query.close();
    this.#queries.delete(query.id);
    this.#sessions.get(query.sessionGuidHex)?.queries.delete(query.id);
    this.#queryLog.set(query.id, query);
    const limit = this.#options.queryLogSize ?? 200;
    for (const oldest of this.#queryLog.keys()) {
      if (this.#queryLog.size <= limit) break;
      this.#queryLog.delete(oldest);
    }
  }

  #dropSession(session: Session): void {
    for (const queryId of session.queries) {
      const query = this.#queries.get(queryId);
      if (query) this.#unregister(query);
    }
    this.#sessions.delete(session.id);
  }

  OpenSession: NonNullable<Hs2Handler<RpcContext>['OpenSession']> = (request, context) => {
    const serverProtocolVersion = Math.min(request.client_protocol, ProtocolVersion.V6);
    const shuttingDown = this.#shuttingDown();
    if (shuttingDown) return { status: shuttingDown, serverProtocolVersion };
    const guid = randomBytes(16);
    const secret = randomBytes(16);
    const user = context.user ?? (request.username || 'impala');
    const options = new Map<string, string>();
    let database = 'default';
    for (const [rawKey, value] of Object.entries(request.configuration ?? {})) {
      const key = rawKey.startsWith(HIVECONF_PREFIX) ? rawKey.slice(HIVECONF_PREFIX.length) : rawKey;
      if (key.toLowerCase() === 'use:database') database = value;
      else if (key.toLowerCase() !== 'impala.doas.user') setQueryOption(options, key, value); // failures are ignored
    }
    const configuration = { ...request.configuration, http_addr: this.#options.webuiAddress() };
    const session: Session = {
      id: hex(guid),
      guid,
      secret,
      user,
      openedAt: Date.now(),
      configuration,
      database,
      options,
      networkAddress: context.remote,
      queries: new Set(),
    };
    this.#sessions.set(session.id, session);
    context.sessionGuidHex = session.id;
    // TQueryOptionsToMap(state->QueryOptions()) plus http_addr: every option, set or default.
    const reply = { ...queryOptionsMap(options), http_addr: this.#options.webuiAddress() };
    return { status: ok(), serverProtocolVersion, sessionHandle: { sessionId: { guid, secret } }, configuration: reply };
  };

  CloseSession: NonNullable<Hs2Handler<RpcContext>['CloseSession']> = (request, context) => {
    const session = this.#session(request.sessionHandle, context);
    if (!('queries' in session)) return { status: session };
    this.#dropSession(session);
    return { status: ok() };
  };

  GetInfo: NonNullable<Hs2Handler<RpcContext>['GetInfo']> = (request, context) => {
    const shuttingDown = this.#shuttingDown();
    if (shuttingDown) return { status: shuttingDown, infoValue: { stringValue: '' } };
    const session = this.#session(request.sessionHandle, context);
    if (!('queries' in session)) return { status: session, infoValue: { stringValue: '' } };
    switch (request.infoType) {
      case GetInfoType.SERVER_NAME:
        return { status: ok(), infoValue: { stringValue: this.#options.name } };
      case GetInfoType.DBMS_NAME:
        return { status: ok(), infoValue: { stringValue: 'Impala' } };
      case GetInfoType.DBMS_VER:
        return { status: ok(), infoValue: { stringValue: this.#options.version } };
      default:
        return { status: error('Unsupported operation'), infoValue: { stringValue: '' } };
    }
  };

  /** Runs a statement's session effect (ClientRequestState::Exec for SET, ExecLocalCatalogOp for USE). */
  #apply(session: Session, effect: SessionEffect): string | undefined {
    switch (effect.kind) {
      case 'set':
        return setQueryOption(session.options, effect.key, effect.value);
      case 'unset-all':
        session.options.clear();
        return undefined;
      case 'use':
        session.database = effect.database;
        return undefined;
    }
  }

  ExecuteStatement: NonNullable<Hs2Handler<RpcContext>['ExecuteStatement']> = (request, context) => {
    const shuttingDown = this.#shuttingDown();
    if (shuttingDown) return { status: shuttingDown };
    const session = this.#session(request.sessionHandle, context);
    if (!('queries' in session)) return { status: session };
    // TExecuteStatementReqToTQueryContext: confOverlay is checked before the query is registered.
    const options = new Map(session.options);
    for (const [key, value] of Object.entries(request.confOverlay ?? {})) {
      if (OVERLAY_NON_OPTIONS.has(key)) continue;
      const failed = setQueryOption(options, key, value);
      if (failed) return { status: error(failed) };
    }
    const planned = planStatement(request.statement, {
      coordinatorName: this.#options.name,
      version: this.#versionFunction,
      database: session.database,
      user: session.user,
      options,
    });
    const guid = randomBytes(16);
    const failure = 'error' in planned ? planned.error : planned.effect ? this.#apply(session, planned.effect) : undefined;
    if (failure !== undefined || 'error' in planned) {
      return { status: error(`Query ${formatImpalaId(guid)} failed:\n${failure}\n`) };
    }
    const query = new SimulatedQuery({
      guid,
      // "Secret is inherited from session" (impala-hs2-server.cc).
      secret: session.secret,
      sessionGuidHex: session.id,
      sql: request.statement,
      result: planned.result,
      options,
      database: session.database,
      user: session.user,
      networkAddress: session.networkAddress,
      startedAt: Date.now(),
    });
    this.#queries.set(query.id, query);
    session.queries.add(query.id);
    const operationId: THandleIdentifier = { guid, secret: session.secret };
    return {
      status: ok(),
      operationHandle: { operationId, operationType: OperationType.EXECUTE_STATEMENT, hasResultSet: query.hasResultSet },
    };
  };

  GetOperationStatus: NonNullable<Hs2Handler<RpcContext>['GetOperationStatus']> = async (request, context) => {
    const query = this.#query(request.operationHandle, context);
    if (!(query instanceof SimulatedQuery)) return { status: query, operationState: OperationState.ERROR };
    // WaitForCompletionExecState: with LONG_POLLING_TIME_MS > 0, wait that long for completion.
    await query.waitWhileRunning(optionMs(query, 'LONG_POLLING_TIME_MS', 0), this.#options.signal);
    switch (query.state) {
      case 'RUNNING':
        return { status: ok(), operationState: OperationState.RUNNING };
      case 'FINISHED':
        return { status: ok(), operationState: OperationState.FINISHED };
      case 'CANCELED':
        // A cancelled query is in ExecState ERROR with status CANCELLED (TOperationState() has no CANCELED_STATE).
        return {
          status: ok(),
          operationState: OperationState.ERROR,
          sqlState: SQL_STATE_GENERAL_ERROR,
          errorMessage: queryErrorText(query, CANCELLED_MESSAGE),
        };
    }
  };

  CancelOperation: NonNullable<Hs2Handler<RpcContext>['CancelOperation']> = (request, context) => {
    const query = this.#query(request.operationHandle, context);
    if (!(query instanceof SimulatedQuery)) return { status: query };
    query.cancel();
    return { status: ok() };
  };

  CloseOperation: NonNullable<Hs2Handler<RpcContext>['CloseOperation']> = (request, context) => {
    const query = this.#query(request.operationHandle, context);
    if (!(query instanceof SimulatedQuery)) return { status: query };
    this.#unregister(query);
    return { status: ok() };
  };

  CloseImpalaOperation: NonNullable<Hs2Handler<RpcContext>['CloseImpalaOperation']> = (request, context) =>
    this.CloseOperation(request, context);

  GetResultSetMetadata: NonNullable<Hs2Handler<RpcContext>['GetResultSetMetadata']> = (request, context) => {
    const query = this.#query(request.operationHandle, context);
    if (!(query instanceof SimulatedQuery)) return { status: query };
    if (!query.hasResultSet) return { status: ok() };
    const columns = query.result.columns.map((column, position) => ({
      columnName: column.name,
      typeDesc: { types: [{ primitiveEntry: { type: column.type } }] },
      position,
    }));
    return { status: ok(), schema: { columns } };
  };

  FetchResults: NonNullable<Hs2Handler<RpcContext>['FetchResults']> = async (request, context) => {
    if (request.orientation !== 0 && request.orientation !== 4) {
      return { status: error('Unsupported operation', SQL_STATE_NOT_IMPLEMENTED) };
    }
    const query = this.#query(request.operationHandle, context);
    if (!(query instanceof SimulatedQuery)) return { status: query };
    // WaitForResults: block up to FETCH_ROWS_TIMEOUT_MS for rows; cancellation ends the wait.
    const timeoutMs = optionMs(query, 'FETCH_ROWS_TIMEOUT_MS', 10_000);
    await query.waitWhileRunning(timeoutMs > 0 ? timeoutMs : NO_TIMEOUT_MS, this.#options.signal);
    const state = query.state;
    if (state === 'RUNNING') return { status: { statusCode: StatusCode.STILL_EXECUTING }, hasMoreRows: true };
    if (state === 'CANCELED') {
      // The query status is not OK: FetchResults unregisters the query and returns the error.
      this.#unregister(query);
      return { status: queryError(query, CANCELLED_MESSAGE) };
    }
    const maxRows = Math.max(1, i64ToNumber(request.maxRows));
    const start = query.rowsFetched;
    const end = Math.min(query.result.rowCount, start + maxRows);
    const now = Date.now();
    query.firstFetchAt ??= now;
    query.lastFetchAt = now;
    query.rowsFetched = end;
    return {
      status: ok(),
      hasMoreRows: end < query.result.rowCount,
      results: { startRowOffset: start, rows: [], columns: this.#columns(query, start, end) },
    };
  };

  GetLog: NonNullable<Hs2Handler<RpcContext>['GetLog']> = (request, context) => {
    const query = this.#query(request.operationHandle, context);
    if (!(query instanceof SimulatedQuery)) return { status: query, log: '' };
    return { status: ok(), log: queryLog(query) };
  };

  GetExecSummary: NonNullable<Hs2Handler<RpcContext>['GetExecSummary']> = (request, context) => {
    const session = this.#session(request.sessionHandle, context);
    if (!('queries' in session)) return { status: session };
    const query = this.#anyQuery(request.operationHandle);
    if (!(query instanceof SimulatedQuery)) return { status: query };
    return { status: ok(), summary: execSummary(query) };
  };

  GetRuntimeProfile: NonNullable<Hs2Handler<RpcContext>['GetRuntimeProfile']> = (request, context) => {
    const session = this.#session(request.sessionHandle, context);
    if (!('queries' in session)) return { status: session };
    const query = this.#anyQuery(request.operationHandle);
    if (!(query instanceof SimulatedQuery)) return { status: query };
    const profileContext = {
      coordinator: this.#options.name,
      version: this.#versionString,
      sessionIdText: formatImpalaId(Buffer.from(query.sessionGuidHex, 'hex')),
    };
    const format = request.format ?? RuntimeProfileFormat.STRING;
    if (format === RuntimeProfileFormat.STRING) return { status: ok(), profile: runtimeProfile(query, profileContext) };
    if (format === RuntimeProfileFormat.JSON) return { status: ok(), profile: runtimeProfileJson(query, profileContext) };
    return { status: queryError(query, 'The simulator serves runtime profiles in the STRING and JSON formats only.') };
  };

  PingImpalaHS2Service: NonNullable<Hs2Handler<RpcContext>['PingImpalaHS2Service']> = (request, context) => {
    const session = this.#session(request.sessionHandle, context);
    if (!('queries' in session)) return { status: session };
    return {
      status: ok(),
      version: this.#versionString,
      webserver_address: this.#options.webuiUrl(),
      timestamp: Math.floor(performance.now()),
    };
  };

  #columns(query: SimulatedQuery, start: number, end: number): TColumn[] {
    // One null bit per row, ceil(rows / 8) bytes, as HS2ColumnarResultSet builds it (no value is
    // NULL here). impala-shell 4.0 reads a bit for every row and fails with "bitarray index out
    // of range" on a shorter bitmap; later shells check the length (impala_client.py _transpose).
    const nulls = Buffer.alloc(Math.ceil((end - start) / 8));
    return query.result.columns.map((column, index) => {
      const values: (string | number)[] = [];
      for (let row = start; row < end; row++) values.push(query.result.value(row, index));
      return column.type === TypeId.STRING
        ? { stringVal: { values: values as string[], nulls } }
        : { i64Val: { values: values as number[], nulls } };
    });
  }
}
