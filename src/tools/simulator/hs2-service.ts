// The TCLIService state machine of one simulated impalad: sessions, operations, results and the
// exact error statuses of be/src/service/impala-hs2-server.cc (research §3, §5).
import { randomBytes } from 'node:crypto';
import {
  GetInfoType,
  OperationState,
  OperationType,
  ProtocolVersion,
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
import { runStatement, type StatementResult } from './statements.ts';

/** What the HTTP layer knows about the RPC it is handing over. */
export interface RpcContext {
  /** The authenticated user, or undefined when the coordinator has no authentication configured. */
  user: string | undefined;
  /** Filled in by the service: the session the RPC belongs to (hex of the 16-byte guid). */
  sessionGuidHex?: string;
}

export interface SessionInfo {
  id: string;
  guid: Buffer;
  secret: Buffer;
  user: string;
  openedAt: number;
  configuration: Record<string, string>;
}

export interface QueryInfo {
  id: string;
  guid: Buffer;
  sessionGuidHex: string;
  statement: string;
  state: 'RUNNING' | 'FINISHED' | 'CANCELED';
  startedAt: number;
  rowsFetched: number;
}

interface Session extends SessionInfo {
  queries: Set<string>;
}

interface Query extends QueryInfo {
  secret: Buffer;
  result: StatementResult;
  readyAt: number;
}

export interface Hs2ServiceOptions {
  name: string;
  version: string;
  /** `host:port` of the web UI, returned as `http_addr` in the OpenSession configuration. */
  webuiAddress: () => string;
  webuiUrl: () => string;
  isQuiescing: () => boolean;
}

const SQL_STATE_GENERAL_ERROR = 'HY000';

function ok(): TStatus {
  return { statusCode: StatusCode.SUCCESS };
}

/** HS2_RETURN_IF_ERROR copies Status::GetDetail(), which ends with a newline. */
function error(detail: string): TStatus {
  return { statusCode: StatusCode.ERROR, sqlState: SQL_STATE_GENERAL_ERROR, errorMessage: `${detail}\n` };
}

function invalidSession(guid: Buffer): TStatus {
  return error(`Invalid session id: ${formatImpalaId(guid)}`);
}

/** QUERY_ERROR_FORMAT around TErrorCode INVALID_QUERY_HANDLE, plus GetDetail()'s newline. */
function invalidQuery(guid: Buffer): TStatus {
  const id = formatImpalaId(guid);
  return error(`Query ${id} failed:\nInvalid or unknown query handle: ${id}.\n`);
}

function hex(buffer: Buffer): string {
  return buffer.toString('hex');
}

/** The service object handed to handleCall; one per coordinator run (a restart loses everything). */
export class Hs2Service implements Hs2Handler<RpcContext> {
  readonly #options: Hs2ServiceOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #queries = new Map<string, Query>();

  constructor(options: Hs2ServiceOptions) {
    this.#options = options;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  sessions(): SessionInfo[] {
    return [...this.#sessions.values()].map(({ queries: _queries, ...info }) => info);
  }

  queries(): QueryInfo[] {
    return [...this.#queries.values()].map(({ secret: _secret, result: _result, readyAt: _readyAt, ...info }) => info);
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

  /** GetSessionState: unknown guid or wrong secret → invalid session; then the per-RPC user check. */
  #session(handle: TSessionHandle | null | undefined, context: RpcContext): Session | TStatus {
    const id = handle?.sessionId;
    if (!id?.guid) return invalidSession(Buffer.alloc(16));
    const session = this.#sessions.get(hex(id.guid));
    if (!session || !id.secret || !session.secret.equals(id.secret)) return invalidSession(id.guid);
    context.sessionGuidHex = session.id;
    if (context.user !== undefined && context.user !== session.user) {
      return error(`The user authorized on the connection '${context.user}' does not match the session username '${session.user}'`);
    }
    return session;
  }

  #query(handle: TOperationHandle | null | undefined, context: RpcContext): Query | TStatus {
    const id = handle?.operationId;
    if (!id?.guid) return invalidQuery(Buffer.alloc(16));
    const query = this.#queries.get(hex(id.guid));
    if (!query || !id.secret || !query.secret.equals(id.secret)) return invalidQuery(id.guid);
    const session = this.#sessions.get(query.sessionGuidHex);
    if (!session) return invalidQuery(id.guid);
    context.sessionGuidHex = session.id;
    if (context.user !== undefined && context.user !== session.user) {
      return error(`The user authorized on the connection '${context.user}' does not match the session username '${session.user}'`);
    }
    return query;
  }

  #dropSession(session: Session): void {
    for (const queryId of session.queries) this.#queries.delete(queryId);
    this.#sessions.delete(session.id);
  }

  OpenSession: NonNullable<Hs2Handler<RpcContext>['OpenSession']> = (request, context) => {
    const serverProtocolVersion = Math.min(request.client_protocol, ProtocolVersion.V6);
    const shuttingDown = this.#shuttingDown();
    if (shuttingDown) return { status: shuttingDown, serverProtocolVersion };
    const guid = randomBytes(16);
    const secret = randomBytes(16);
    const user = context.user ?? request.username ?? 'impala';
    const configuration = { ...request.configuration, http_addr: this.#options.webuiAddress() };
    const session: Session = { id: hex(guid), guid, secret, user, openedAt: Date.now(), configuration, queries: new Set() };
    this.#sessions.set(session.id, session);
    context.sessionGuidHex = session.id;
    return { status: ok(), serverProtocolVersion, sessionHandle: { sessionId: { guid, secret } }, configuration };
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

  ExecuteStatement: NonNullable<Hs2Handler<RpcContext>['ExecuteStatement']> = (request, context) => {
    const shuttingDown = this.#shuttingDown();
    if (shuttingDown) return { status: shuttingDown };
    const session = this.#session(request.sessionHandle, context);
    if (!('queries' in session)) return { status: session };
    const guid = randomBytes(16);
    const result = runStatement(request.statement, this.#options.name);
    const now = Date.now();
    const query: Query = {
      id: hex(guid),
      guid,
      // "Secret is inherited from session" (impala-hs2-server.cc).
      secret: session.secret,
      sessionGuidHex: session.id,
      statement: request.statement.length > 256 ? `${request.statement.slice(0, 256)}…` : request.statement,
      state: result.runningMs > 0 ? 'RUNNING' : 'FINISHED',
      startedAt: now,
      readyAt: now + result.runningMs,
      rowsFetched: 0,
      result,
    };
    this.#queries.set(query.id, query);
    session.queries.add(query.id);
    const operationId: THandleIdentifier = { guid, secret: session.secret };
    return {
      status: ok(),
      operationHandle: { operationId, operationType: OperationType.EXECUTE_STATEMENT, hasResultSet: true },
    };
  };

  GetOperationStatus: NonNullable<Hs2Handler<RpcContext>['GetOperationStatus']> = (request, context) => {
    const query = this.#query(request.operationHandle, context);
    if (!('result' in query)) return { status: query, operationState: OperationState.ERROR };
    if (query.state === 'RUNNING' && Date.now() >= query.readyAt) query.state = 'FINISHED';
    const operationState =
      query.state === 'RUNNING' ? OperationState.RUNNING : query.state === 'CANCELED' ? OperationState.CANCELED : OperationState.FINISHED;
    return { status: ok(), operationState };
  };

  CancelOperation: NonNullable<Hs2Handler<RpcContext>['CancelOperation']> = (request, context) => {
    const query = this.#query(request.operationHandle, context);
    if (!('result' in query)) return { status: query };
    query.state = 'CANCELED';
    return { status: ok() };
  };

  CloseOperation: NonNullable<Hs2Handler<RpcContext>['CloseOperation']> = (request, context) => {
    const query = this.#query(request.operationHandle, context);
    if (!('result' in query)) return { status: query };
    this.#queries.delete(query.id);
    this.#sessions.get(query.sessionGuidHex)?.queries.delete(query.id);
    return { status: ok() };
  };

  CloseImpalaOperation: NonNullable<Hs2Handler<RpcContext>['CloseImpalaOperation']> = (request, context) =>
    this.CloseOperation(request, context);

  GetResultSetMetadata: NonNullable<Hs2Handler<RpcContext>['GetResultSetMetadata']> = (request, context) => {
    const query = this.#query(request.operationHandle, context);
    if (!('result' in query)) return { status: query };
    const columns = query.result.columns.map((column, position) => ({
      columnName: column.name,
      typeDesc: { types: [{ primitiveEntry: { type: column.type } }] },
      position,
    }));
    return { status: ok(), schema: { columns } };
  };

  FetchResults: NonNullable<Hs2Handler<RpcContext>['FetchResults']> = (request, context) => {
    const query = this.#query(request.operationHandle, context);
    if (!('result' in query)) return { status: query };
    if (query.state === 'CANCELED') return { status: error(`Cancelled`) };
    if (query.state === 'RUNNING' && Date.now() < query.readyAt) {
      // impalad blocks up to FETCH_ROWS_TIMEOUT_MS and then returns no rows with hasMoreRows=true.
      return { status: ok(), hasMoreRows: true, results: { startRowOffset: query.rowsFetched, rows: [], columns: this.#columns(query, 0, 0) } };
    }
    query.state = 'FINISHED';
    const maxRows = Math.max(1, i64ToNumber(request.maxRows));
    const start = query.rowsFetched;
    const end = Math.min(query.result.rowCount, start + maxRows);
    query.rowsFetched = end;
    return {
      status: ok(),
      hasMoreRows: end < query.result.rowCount,
      results: { startRowOffset: start, rows: [], columns: this.#columns(query, start, end) },
    };
  };

  GetLog: NonNullable<Hs2Handler<RpcContext>['GetLog']> = (request, context) => {
    const query = this.#query(request.operationHandle, context);
    if (!('result' in query)) return { status: query, log: '' };
    return { status: ok(), log: '' };
  };

  PingImpalaHS2Service: NonNullable<Hs2Handler<RpcContext>['PingImpalaHS2Service']> = (request, context) => {
    const session = this.#session(request.sessionHandle, context);
    if (!('queries' in session)) return { status: session };
    return {
      status: ok(),
      version: this.#options.version,
      webserver_address: this.#options.webuiUrl(),
      timestamp: Math.floor(performance.now()),
    };
  };

  #columns(query: Query, start: number, end: number): TColumn[] {
    const nulls = Buffer.alloc(0);
    return query.result.columns.map((column, index) => {
      const values: (string | number)[] = [];
      for (let row = start; row < end; row++) values.push(query.result.value(row, index));
      return column.type === TypeId.STRING
        ? { stringVal: { values: values as string[], nulls } }
        : { i64Val: { values: values as number[], nulls } };
    });
  }
}
