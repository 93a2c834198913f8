// What impala-shell (4.0 to current) and impyla send in an ordinary interactive session, against
// the simulator over real sockets: the connect sequence (OpenSession, `set all` with three
// columns, PingImpalaHS2Service), SET, USE, version(), live progress (GetExecSummary), `profile`
// (GetRuntimeProfile after the query was closed), GetLog, and Ctrl-C (CancelOperation from a
// second connection while the first is blocked). Expected shapes and texts are impalad's
// (be/src/service/impala-hs2-server.cc, client-request-state.cc, impala-server.cc).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type SimulatedCoordinator } from '../../src/tools/simulator/index.ts';
import { ExecState, OperationState, RuntimeProfileFormat, StatusCode, formatImpalaId, i64ToNumber } from '../../src/tools/thrift/hs2.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { Hs2BinaryClient, Hs2Client, rowsOf, type Hs2Calls } from '../helpers/hs2-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

const LEVELS = new Set(['REGULAR', 'ADVANCED', 'DEVELOPMENT', 'DEPRECATED', 'REMOVED']);

describe.each(['hs2-http', 'binary hs2'] as const)('an impala-shell session over %s', (transport) => {
  let coordinator: SimulatedCoordinator;
  const clients: Hs2Calls[] = [];

  beforeAll(async () => {
    coordinator = await startCoordinator({
      name: 'shell-sim',
      tls: { certFile: certPath('coordinator.pem'), keyFile: certPath('coordinator-key.pem') },
      users: { alice: 'pw' },
    });
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await coordinator.close();
  });

  /** A new connection, as impala-shell opens one at start and another one for Ctrl-C. */
  function connect(): Hs2Calls {
    const client =
      transport === 'hs2-http'
        ? new Hs2Client({ url: coordinator.hs2Url, tls: { ca: readCert('ca.pem') }, auth: { type: 'basic', user: 'alice', password: 'pw' }, username: 'alice' })
        : new Hs2BinaryClient({
            host: '127.0.0.1',
            port: coordinator.hs2TcpPort,
            tls: { ca: readCert('ca.pem') },
            auth: { type: 'plain', user: 'alice', password: 'pw' },
            username: 'alice',
          });
    clients.push(client);
    return client;
  }

  it("connects: OpenSession with the shell's options, set all with impalad's three columns, ping", async () => {
    const shell = connect();
    const connection = await shell.connectLikeImpalaShell({ MEM_LIMIT: '1g', 'use:database': '_impala_builtins', 'not-an-option': 'x' });
    expect(connection.version).toBe('impalad version 4.5.0-SIMULATED RELEASE (build simulated)');
    expect(connection.webserverAddress).toBe(coordinator.webuiUrl);
    const options = connection.queryOptions;
    expect(options.size).toBeGreaterThan(150);
    for (const { level } of options.values()) expect(LEVELS.has(level)).toBe(true);
    // Real names, levels and defaults (query-options.h QUERY_OPTS_TABLE, Query.thrift TQueryOptions).
    expect(options.get('ABORT_ON_ERROR')).toEqual({ value: '0', level: 'REGULAR' });
    expect(options.get('EXPLAIN_LEVEL')).toEqual({ value: 'STANDARD', level: 'REGULAR' });
    expect(options.get('APPX_COUNT_DISTINCT')).toEqual({ value: '0', level: 'ADVANCED' });
    expect(options.get('DEBUG_ACTION')).toEqual({ value: '', level: 'DEVELOPMENT' });
    expect(options.get('MAX_IO_BUFFERS')).toEqual({ value: '', level: 'REMOVED' });
    expect(options.get('CLIENT_IDENTIFIER')?.level).toBe('ADVANCED');
    // The OpenSession configuration set the session's options and database.
    expect(options.get('MEM_LIMIT')).toEqual({ value: '1g', level: 'REGULAR' });
    expect(options.has('NOT-AN-OPTION')).toBe(false);
    expect((await shell.query('select current_database()')).rows).toEqual([['_impala_builtins']]);
    expect(coordinator.sessions().find((session) => session.id === shell.session!.sessionId.guid.toString('hex'))).toMatchObject({
      user: 'alice',
      database: '_impala_builtins',
      queryOptions: { MEM_LIMIT: '1g' },
    });
    // impalad counts RPCs: the shell's connect is OpenSession, ExecuteStatement, GetResultSetMetadata, FetchResults, CloseImpalaOperation, Ping.
    expect(coordinator.counters.rpcs.CloseImpalaOperation).toBeGreaterThanOrEqual(1);
    await shell.closeSession();
  });

  it('SET lists regular and advanced options sorted by name; SET k=v and UNSET change the session; confOverlay applies to one query', async () => {
    const shell = connect();
    await shell.openSession();
    const set = await shell.query('set');
    expect(set.columns).toEqual(['option', 'value', 'level']);
    const names = set.rows.map((row) => row[0] as string);
    expect(names).toEqual([...names].sort());
    expect(new Set(set.rows.map((row) => row[2]))).toEqual(new Set(['REGULAR', 'ADVANCED']));
    const all = await shell.query('SET ALL');
    expect(all.rows.length).toBeGreaterThan(set.rows.length);
    expect(all.rows.find((row) => row[0] === 'BATCH_SIZE')).toEqual(['BATCH_SIZE', '0', 'DEVELOPMENT']);

    expect(await shell.query("set request_pool='root.etl'")).toEqual({ columns: ['option', 'value', 'level'], rows: [] });
    const value = async (name: string, overlay?: Record<string, string>) =>
      (await shell.query('set all', overlay ? { confOverlay: overlay } : {})).rows.find((row) => row[0] === name)?.[1];
    expect(await value('REQUEST_POOL')).toBe('root.etl');
    expect(await value('SYNC_DDL', { sync_ddl: '1' })).toBe('1');
    expect(await value('SYNC_DDL')).toBe('0');
    await shell.query('unset request_pool');
    expect(await value('REQUEST_POOL')).toBe('');
    // A removed option is accepted and ignored; an unknown one is an error, with the query id once it is registered.
    expect((await shell.query('set max_io_buffers=3')).rows).toEqual([]);
    const unknown = await shell.executeStatement('set no_such_option=1');
    expect(unknown.status.statusCode).toBe(StatusCode.ERROR);
    expect(unknown.status.errorMessage).toMatch(/^Query [0-9a-f]{16}:[0-9a-f]{16} failed:\nInvalid query option: no_such_option\n\n$/);
    const overlay = await shell.executeStatement('select 1', undefined, { no_such_option: '1' });
    expect(overlay.status.errorMessage).toBe('Invalid query option: no_such_option\n');
  });

  it('USE has no result set and changes the database; an unknown database is an analysis error; version() and SHOW DATABASES', async () => {
    const shell = connect();
    await shell.openSession();
    const use = await shell.executeStatement('use `_impala_builtins`');
    expect(use.operationHandle!.hasResultSet).toBe(false);
    expect((await shell.waitForOperation(use.operationHandle!)).operationState).toBe(OperationState.FINISHED);
    const summary = await shell.getExecSummary(use.operationHandle!);
    expect(summary.summary).toMatchObject({ state: ExecState.REGISTERED, nodes: null }); // impala-shell: "Summary not available"
    expect((await shell.getLog(use.operationHandle!)).log).toBe('');
    expect((await shell.closeImpalaOperation(use.operationHandle!)).status.statusCode).toBe(StatusCode.SUCCESS);
    expect((await shell.query('select current_database()')).rows).toEqual([['_impala_builtins']]);
    const missing = await shell.executeStatement('use nowhere');
    expect(missing.status.errorMessage).toMatch(/ failed:\nAnalysisException: Database does not exist: nowhere\n\n$/);

    const version = await shell.query('select version()');
    expect(version.columns).toEqual(['version()']);
    expect(version.rows[0]![0]).toMatch(/^impalad version 4\.5\.0-SIMULATED RELEASE \(build simulated\)\nBuilt on /);
    expect((await shell.query('show databases')).rows.map((row) => row[0])).toEqual(['_impala_builtins', 'default']);
    expect((await shell.query('select logged_in_user()')).rows).toEqual([['alice']]);
  });

  it('reports live progress while a query runs, then the log, and the profile after it was closed', async () => {
    const shell = connect();
    await shell.openSession();
    // Long enough that the first poll comes while it runs, even on a loaded machine.
    const executed = await shell.executeStatement('select sleep(1500)', undefined, { CLIENT_IDENTIFIER: 'Impala Shell v4.5.0' });
    const handle = executed.operationHandle!;
    expect(handle.hasResultSet).toBe(true);
    const summaries: { state: number; completed: number; labels: string[] }[] = [];
    const final = await shell.waitForOperation(handle, {
      intervalMs: 200,
      onPoll: async () => {
        const reply = await shell.getExecSummary(handle);
        expect(reply.status.statusCode).toBe(StatusCode.SUCCESS);
        const summary = reply.summary!;
        summaries.push({
          state: summary.state,
          completed: i64ToNumber(summary.progress!.num_completed_fragment_instances!),
          labels: summary.nodes!.map((node) => node.label),
        });
      },
    });
    expect(final.operationState).toBe(OperationState.FINISHED);
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries[0]).toEqual({ state: ExecState.RUNNING, completed: 0, labels: ['F00:ROOT', '00:UNION'] });
    const done = (await shell.getExecSummary(handle)).summary!;
    expect(done.state).toBe(ExecState.FINISHED);
    expect(i64ToNumber(done.progress!.total_fragment_instances!)).toBe(1);
    expect(i64ToNumber(done.progress!.num_completed_fragment_instances!)).toBe(1);
    expect(i64ToNumber(done.progress!.total_scan_ranges!)).toBe(0);
    // The root sink reports -1 rows (Coordinator::InitFragmentStats); the UNION its rows once done.
    expect(done.nodes!.map((node) => i64ToNumber(node.exec_stats![0]!.cardinality!))).toEqual([-1, 1]);

    expect(assertRows(await shell.fetchResults(handle))).toEqual([['shell-sim', 1]]);
    const id = formatImpalaId(handle.operationId.guid);
    // The shell strips this progress line (HS2_LOG_PROGRESS_REGEX), so no WARNINGS are printed.
    expect((await shell.getLog(handle)).log).toBe(`Query ${id} 100% Complete (0 out of 0)\n`);
    await shell.closeImpalaOperation(handle);

    const profile = await shell.getRuntimeProfile(handle);
    expect(profile.status.statusCode).toBe(StatusCode.SUCCESS);
    const text = profile.profile!;
    expect(text.startsWith(`Query (id=${id}):\n  Summary:\n`)).toBe(true);
    expect(text).toContain(`    Session ID: ${formatImpalaId(shell.session!.sessionId.guid)}\n`);
    expect(text).toContain('    Query Type: QUERY\n    Query State: FINISHED\n');
    expect(text).toContain('    Sql Statement: select sleep(1500)\n');
    expect(text).toContain('    Query Options (set by configuration): CLIENT_IDENTIFIER=Impala Shell v4.5.0\n');
    expect(text).toMatch(/\n {4}ExecSummary: \nOperator +#Hosts +#Inst .*\n-+\nF00:ROOT .*\n00:UNION .*constant-operands=1\n/);
    expect(text).toContain('     - NumRowsFetched: 1 (1)');
    const json = await shell.getRuntimeProfile(handle, { format: RuntimeProfileFormat.JSON });
    expect(JSON.parse(json.profile!).contents.profile_name).toBe(`Query (id=${id})`);
    const thrift = await shell.getRuntimeProfile(handle, { format: RuntimeProfileFormat.THRIFT });
    expect(thrift.status.statusCode).toBe(StatusCode.ERROR);
    // Closed: gone for the operation RPCs, still in the query log for summary and profile.
    expect((await shell.getOperationStatus(handle)).status.errorMessage).toBe(`Query ${id} failed:\nInvalid or unknown query handle: ${id}.\n\n`);
    expect((await shell.getExecSummary(handle)).summary!.state).toBe(ExecState.FINISHED);
  });

  it('Ctrl-C: CancelOperation from a second connection ends a blocked fetch of a running sleep at once', async () => {
    const shell = connect();
    await shell.openSession();
    // Without the cancel, this fetch would block for an hour (FETCH_ROWS_TIMEOUT_MS), and the test time out.
    const executed = await shell.executeStatement('select sleep(3600000)', undefined, { FETCH_ROWS_TIMEOUT_MS: '3600000' });
    const handle = executed.operationHandle!;
    const id = formatImpalaId(handle.operationId.guid);
    expect((await shell.getOperationStatus(handle)).operationState).toBe(OperationState.RUNNING);
    const fetches = coordinator.rpcLog('FetchResults').length;
    const blocked = shell.fetchResults(handle);
    await waitFor(() => coordinator.rpcLog('FetchResults').length > fetches, { what: 'the fetch to arrive' });

    // impala-shell's signal handler: a new connection (and session), CancelOperation, CloseImpalaOperation.
    const canceller = connect();
    await canceller.openSession();
    expect((await canceller.cancelOperation(handle)).status.statusCode).toBe(StatusCode.SUCCESS);
    const cancelled = `Query ${id} failed:\nCancelled\n\n`;
    const fetched = await blocked;
    expect(fetched.status).toMatchObject({ statusCode: StatusCode.ERROR, sqlState: 'HY000', errorMessage: cancelled });
    // The shell's handler treats '\nCancelled' as success and stops retrying.
    expect(fetched.status.errorMessage).toContain('\nCancelled');
    // The failed fetch unregistered the query (FetchResults: the error is not recoverable).
    const closed = await canceller.closeImpalaOperation(handle);
    expect(closed.status.errorMessage).toBe(`Query ${id} failed:\nInvalid or unknown query handle: ${id}.\n\n`);
    const summary = (await shell.getExecSummary(handle)).summary!;
    expect(summary.state).toBe(ExecState.CANCELLED);
    expect(summary.nodes![1]!.label_detail).toBe('constant-operands=1, CANCELLED');
    expect((await shell.getRuntimeProfile(handle)).profile).toContain('    Query Status: Cancelled\n');
  });

  it('a cancelled query polled by GetOperationStatus is in ERROR_STATE with the Cancelled error, and GetLog says so', async () => {
    const shell = connect();
    await shell.openSession();
    const handle = (await shell.executeStatement('select sleep(3600000)')).operationHandle!;
    const id = formatImpalaId(handle.operationId.guid);
    expect((await shell.cancelOperation(handle)).status.statusCode).toBe(StatusCode.SUCCESS);
    // ClientRequestState::TOperationState() maps impalad's ERROR exec state; there is no CANCELED_STATE.
    const status = await shell.getOperationStatus(handle);
    expect(status).toMatchObject({ status: { statusCode: StatusCode.SUCCESS }, operationState: OperationState.ERROR, sqlState: 'HY000' });
    expect(status.errorMessage).toBe(`Query ${id} failed:\nCancelled\n\n`);
    expect((await shell.getLog(handle)).log).toBe(`Query ${id} 100% Complete (0 out of 0)\nQuery ${id} failed:\nCancelled\n\n`);
    expect((await shell.cancelOperation(handle)).status.statusCode).toBe(StatusCode.SUCCESS); // idempotent
    expect((await shell.closeImpalaOperation(handle)).status.statusCode).toBe(StatusCode.SUCCESS);
    await expect(shell.query('select 1')).resolves.toEqual({ columns: ['coordinator', 'value'], rows: [['shell-sim', 1]] });
  });

  it("sends a null bitmap of ceil(rows / 8) bytes per column (impala-shell 4.0 reads one bit per row: 'bitarray index out of range')", async () => {
    const shell = connect();
    await shell.openSession();
    const handle = (await shell.executeStatement('select range(20)')).operationHandle!;
    const first = await shell.fetchResults(handle, 9);
    expect(first.results!.columns![0]!.i64Val!.nulls).toEqual(Buffer.alloc(2));
    const rest = await shell.fetchResults(handle, 100);
    expect(rest.results!.columns![0]!.i64Val!.nulls).toEqual(Buffer.alloc(2));
    const set = (await shell.executeStatement('set all')).operationHandle!;
    const options = await shell.fetchResults(set, 10240);
    for (const column of options.results!.columns!) expect(column.stringVal!.nulls).toHaveLength(Math.ceil(186 / 8));
    await shell.closeSession();
  });

  it('answers summary and profile of an unknown query, and of another session, as impalad does', async () => {
    const shell = connect();
    await shell.openSession();
    const guid = Buffer.alloc(16, 7);
    const unknown = { operationId: { guid, secret: Buffer.alloc(16) }, operationType: 0, hasResultSet: true };
    const id = formatImpalaId(guid);
    expect((await shell.getExecSummary(unknown)).status.errorMessage).toBe(`Query ${id} failed:\nQuery id ${id} not found.\n\n`);
    expect((await shell.getRuntimeProfile(unknown)).status.errorMessage).toBe(`Query ${id} failed:\nQuery id ${id} not found.\n\n`);
    const lost = { sessionId: { guid: Buffer.alloc(16, 9), secret: Buffer.alloc(16) } };
    expect((await shell.getExecSummary(unknown, lost)).status.errorMessage).toBe(`Invalid session id: ${formatImpalaId(lost.sessionId.guid)}\n`);
  });
});

function assertRows(reply: { status: { statusCode: number }; results?: { columns?: Parameters<typeof rowsOf>[0] | null } | null }) {
  expect(reply.status.statusCode).toBe(StatusCode.SUCCESS);
  return rowsOf(reply.results?.columns ?? []);
}
