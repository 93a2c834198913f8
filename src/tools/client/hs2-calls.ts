// The RPCs of an HS2 client, independent of the transport: the hs2-http client (hs2-client.ts)
// and the binary one (hs2-binary-client.ts) both extend Hs2Calls and differ only in call().
// Requests are built the way impyla and impala-shell build them (shell/impala_shell/
// impala_client.py ImpalaHS2Client, impyla hiveserver2.py): protocol V6, runAsync, FETCH_NEXT.
import {
  FetchOrientation,
  GetInfoType,
  OperationState,
  ProtocolVersion,
  RuntimeProfileFormat,
  StatusCode,
  i64ToNumber,
  type Hs2Method,
  type Hs2Request,
  type Hs2Response,
  type TColumn,
  type TOperationHandle,
  type TSessionHandle,
  type TStatus,
} from '../thrift/hs2.ts';

/** A non-success TStatus (what impyla raises as HiveServer2Error, impala-shell as RPCException). */
export class Hs2StatusError extends Error {
  readonly status: TStatus;
  constructor(status: TStatus) {
    super(status.errorMessage ?? `status ${status.statusCode}`);
    this.name = 'Hs2StatusError';
    this.status = status;
  }
}

export function isSuccess(status: TStatus): boolean {
  return status.statusCode === StatusCode.SUCCESS || status.statusCode === StatusCode.SUCCESS_WITH_INFO;
}

export function assertSuccess(status: TStatus): void {
  if (!isSuccess(status)) throw new Hs2StatusError(status);
}

export type Row = (string | number | null)[];

function columnValues(column: TColumn): (string | number)[] {
  if (column.stringVal) return column.stringVal.values;
  if (column.i64Val) return column.i64Val.values.map(i64ToNumber);
  if (column.i32Val) return column.i32Val.values;
  return [];
}

/** FetchResults columns transposed to rows (impala_client.py _transpose). */
export function rowsOf(columns: readonly TColumn[]): Row[] {
  const values = columns.map(columnValues);
  const count = values.length === 0 ? 0 : values[0]!.length;
  const rows: Row[] = [];
  for (let row = 0; row < count; row++) rows.push(values.map((column) => column[row] ?? null));
  return rows;
}

/** What impala-shell learns when it connects (ImpalaClient.connect, _populate_query_options). */
export interface ShellConnection {
  /** PingImpalaHS2Service: `impalad version … (build …)`; the shell prints "Server version: …". */
  version: string;
  webserverAddress: string;
  /** `set all`: upper-case option name → value and level (REGULAR, ADVANCED, DEVELOPMENT, DEPRECATED, REMOVED). */
  queryOptions: Map<string, { value: string; level: string }>;
}

const STILL_RUNNING: ReadonlySet<number> = new Set([OperationState.INITIALIZED, OperationState.RUNNING, OperationState.PENDING]);

export abstract class Hs2Calls {
  /** The session opened by openSession(), used by session calls that get no explicit handle. */
  session: TSessionHandle | undefined;
  readonly #username: string | undefined;

  constructor(username?: string) {
    this.#username = username;
  }

  /** Sends one RPC and decodes its reply; transport failures reject, a non-success TStatus does not. */
  abstract call<M extends Hs2Method>(method: M, request: Hs2Request<M>): Promise<Hs2Response<M>>;

  /** Closes the transport (idempotent); the next call opens a new connection. */
  abstract close(): void;

  #sessionHandle(session: TSessionHandle | undefined): TSessionHandle {
    const handle = session ?? this.session;
    if (!handle) throw new Error('no session: call openSession() first');
    return handle;
  }

  async openSession(configuration?: Record<string, string>): Promise<Hs2Response<'OpenSession'>> {
    const response = await this.call('OpenSession', {
      client_protocol: ProtocolVersion.V6,
      ...(this.#username ? { username: this.#username } : {}),
      ...(configuration ? { configuration } : {}),
    });
    if (isSuccess(response.status) && response.sessionHandle) this.session = response.sessionHandle;
    return response;
  }

  executeStatement(statement: string, session?: TSessionHandle, confOverlay?: Record<string, string>): Promise<Hs2Response<'ExecuteStatement'>> {
    return this.call('ExecuteStatement', {
      sessionHandle: this.#sessionHandle(session),
      statement,
      ...(confOverlay ? { confOverlay } : {}),
      runAsync: true,
    });
  }

  getOperationStatus(operationHandle: TOperationHandle): Promise<Hs2Response<'GetOperationStatus'>> {
    return this.call('GetOperationStatus', { operationHandle });
  }

  getResultSetMetadata(operationHandle: TOperationHandle): Promise<Hs2Response<'GetResultSetMetadata'>> {
    return this.call('GetResultSetMetadata', { operationHandle });
  }

  fetchResults(operationHandle: TOperationHandle, maxRows = 1024): Promise<Hs2Response<'FetchResults'>> {
    return this.call('FetchResults', { operationHandle, orientation: FetchOrientation.NEXT, maxRows });
  }

  cancelOperation(operationHandle: TOperationHandle): Promise<Hs2Response<'CancelOperation'>> {
    return this.call('CancelOperation', { operationHandle });
  }

  closeOperation(operationHandle: TOperationHandle): Promise<Hs2Response<'CloseOperation'>> {
    return this.call('CloseOperation', { operationHandle });
  }

  /** What impala-shell and impyla close queries with. */
  closeImpalaOperation(operationHandle: TOperationHandle): Promise<Hs2Response<'CloseImpalaOperation'>> {
    return this.call('CloseImpalaOperation', { operationHandle });
  }

  getLog(operationHandle: TOperationHandle): Promise<Hs2Response<'GetLog'>> {
    return this.call('GetLog', { operationHandle });
  }

  /** As impala-shell asks for it (live progress, `summary`): with the session and include_query_attempts. */
  getExecSummary(operationHandle: TOperationHandle, session?: TSessionHandle): Promise<Hs2Response<'GetExecSummary'>> {
    return this.call('GetExecSummary', { operationHandle, sessionHandle: this.#sessionHandle(session), include_query_attempts: true });
  }

  /** As impala-shell asks for it (`profile`): STRING format unless told otherwise. */
  getRuntimeProfile(
    operationHandle: TOperationHandle,
    { format = RuntimeProfileFormat.STRING, session }: { format?: number; session?: TSessionHandle } = {},
  ): Promise<Hs2Response<'GetRuntimeProfile'>> {
    return this.call('GetRuntimeProfile', { operationHandle, sessionHandle: this.#sessionHandle(session), format, include_query_attempts: true });
  }

  async closeSession(session?: TSessionHandle): Promise<Hs2Response<'CloseSession'>> {
    const response = await this.call('CloseSession', { sessionHandle: this.#sessionHandle(session) });
    if (session === undefined || session === this.session) this.session = undefined;
    return response;
  }

  getInfo(infoType: number = GetInfoType.DBMS_VER, session?: TSessionHandle): Promise<Hs2Response<'GetInfo'>> {
    return this.call('GetInfo', { sessionHandle: this.#sessionHandle(session), infoType });
  }

  ping(session?: TSessionHandle): Promise<Hs2Response<'PingImpalaHS2Service'>> {
    return this.call('PingImpalaHS2Service', { sessionHandle: this.#sessionHandle(session) });
  }

  /**
   * Polls GetOperationStatus until the operation leaves INITIALIZED/PENDING/RUNNING; `onPoll` runs
   * between polls (impala-shell fetches the exec summary there for live progress). Returns the
   * last status reply; throws Hs2StatusError when the RPC's own status fails.
   */
  async waitForOperation(
    operationHandle: TOperationHandle,
    { intervalMs = 10, onPoll }: { intervalMs?: number; onPoll?: () => unknown } = {},
  ): Promise<Hs2Response<'GetOperationStatus'>> {
    for (;;) {
      const status = await this.getOperationStatus(operationHandle);
      assertSuccess(status.status);
      if (!STILL_RUNNING.has(status.operationState ?? OperationState.ERROR)) return status;
      await onPoll?.();
      if (intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** Fetches every row (FETCH_NEXT until hasMoreRows is false); a STILL_EXECUTING reply fetches again. */
  async fetchAll(operationHandle: TOperationHandle, maxRows = 1024): Promise<Row[]> {
    const rows: Row[] = [];
    for (;;) {
      const fetched = await this.fetchResults(operationHandle, maxRows);
      if (fetched.status.statusCode === StatusCode.STILL_EXECUTING) continue;
      assertSuccess(fetched.status);
      rows.push(...rowsOf(fetched.results?.columns ?? []));
      if (!fetched.hasMoreRows) return rows;
    }
  }

  /**
   * Execute, poll status until finished, read the schema, fetch every row, close the operation.
   * Throws Hs2StatusError on any non-success status, and for a query that ends in ERROR_STATE
   * (its errorMessage). Values are strings or numbers per column type. A statement without a
   * result set (USE) returns no columns and no rows.
   */
  async query(
    sql: string,
    { maxRows = 1024, confOverlay }: { maxRows?: number; confOverlay?: Record<string, string> } = {},
  ): Promise<{ columns: string[]; rows: Row[] }> {
    const executed = await this.executeStatement(sql, undefined, confOverlay);
    assertSuccess(executed.status);
    const operation = executed.operationHandle!;
    const final = await this.waitForOperation(operation);
    if (final.operationState === OperationState.ERROR) {
      throw new Hs2StatusError({ statusCode: StatusCode.ERROR, errorMessage: final.errorMessage ?? 'Operation is in ERROR_STATE' });
    }
    let columns: string[] = [];
    let rows: Row[] = [];
    if (operation.hasResultSet) {
      const metadata = await this.getResultSetMetadata(operation);
      assertSuccess(metadata.status);
      columns = metadata.schema?.columns.map((column) => column.columnName) ?? [];
      rows = await this.fetchAll(operation, maxRows);
    }
    assertSuccess((await this.closeOperation(operation)).status);
    return { columns, rows };
  }

  /**
   * impala-shell's connect sequence (impala_client.py ImpalaClient.connect and
   * ImpalaHS2Client._open_session / _populate_query_options / _ping_impala_service):
   * OpenSession (V6, the user, `configuration`), then `set all` — ExecuteStatement,
   * GetResultSetMetadata, FetchResults until done, CloseImpalaOperation — unpacking three
   * columns per row, then PingImpalaHS2Service. Throws what the shell would fail on: a failed
   * status, a protocol version other than V6, or rows without three values.
   */
  async connectLikeImpalaShell(configuration?: Record<string, string>, fetchSize = 10240): Promise<ShellConnection> {
    const opened = await this.openSession(configuration);
    assertSuccess(opened.status);
    if (opened.serverProtocolVersion !== ProtocolVersion.V6) throw new Error(`AssertionError: ${opened.serverProtocolVersion}`);
    const executed = await this.executeStatement('set all', undefined, {});
    assertSuccess(executed.status);
    const handle = executed.operationHandle!;
    const queryOptions = new Map<string, { value: string; level: string }>();
    try {
      if (handle.hasResultSet) assertSuccess((await this.getResultSetMetadata(handle)).status);
      for (const row of await this.fetchAll(handle, fetchSize)) {
        if (row.length !== 3) throw new Error(`ValueError: expected 3 values to unpack (option, value, level), got ${row.length}`);
        const [name, value, level] = row.map(String) as [string, string, string];
        queryOptions.set(name.toUpperCase(), { value, level });
      }
    } finally {
      await this.closeImpalaOperation(handle);
    }
    const ping = await this.ping();
    assertSuccess(ping.status);
    return { version: ping.version ?? '', webserverAddress: ping.webserver_address ?? '', queryOptions };
  }
}
