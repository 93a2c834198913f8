export {
  SimulatedCoordinator,
  startCoordinator,
  type CoordinatorCounters,
  type CoordinatorOptions,
  type CoordinatorTlsOptions,
  type RequestLogEntry,
} from './coordinator.ts';
export { startCluster, type ClusterOptions, type SimulatedCluster } from './cluster.ts';
export { AUTH_COOKIE, DELETE_AUTH_COOKIE, KERBEROS_USER } from './auth.ts';
export { CoordinatorStoppedError } from './faults.ts';
export type { QueryInfo, SessionInfo } from './hs2-service.ts';
export { MAX_REPEAT_BYTES } from './statements.ts';
export type { SimulatorLogger } from './logger.ts';
export { runSimulate, simulateUsage } from './command.ts';
