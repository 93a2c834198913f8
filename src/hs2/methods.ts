// The methods of ImpalaHiveServer2Service, the service impalad's hs2 ports serve: Hive's
// TCLIService as Impala vendors it (common/thrift/hive-1-api/TCLIService.thrift) and Impala's own
// additions (common/thrift/ImpalaService.thrift). Method names come from client bytes, so the
// metrics label only these, and the config refuses a per-method setting for any other name.
export const hs2Methods: ReadonlySet<string> = new Set([
  // TCLIService
  'OpenSession', 'CloseSession', 'GetInfo', 'ExecuteStatement', 'GetTypeInfo', 'GetCatalogs', 'GetSchemas',
  'GetTables', 'GetTableTypes', 'GetColumns', 'GetFunctions', 'GetPrimaryKeys', 'GetCrossReference',
  'GetOperationStatus', 'CancelOperation', 'CloseOperation', 'GetResultSetMetadata', 'FetchResults',
  'GetDelegationToken', 'CancelDelegationToken', 'RenewDelegationToken', 'GetLog', 'GetQueryId',
  'SetClientInfo', 'UploadData', 'DownloadData',
  // ImpalaHiveServer2Service
  'GetExecSummary', 'GetRuntimeProfile', 'PingImpalaHS2Service', 'CloseImpalaOperation', 'InitQueryContext',
  'ExecutePlannedStatement', 'GetBackendConfig', 'GetExecutorMembership',
]);
