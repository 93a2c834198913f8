// A group of simulated coordinators that list each other in /backends?json.
import { startCoordinator, type CoordinatorOptions, type SimulatedCoordinator } from './coordinator.ts';

export interface ClusterOptions extends Omit<CoordinatorOptions, 'name' | 'hs2HttpPort' | 'webuiPort' | 'hs2TcpPort'> {
  /** Number of coordinators; default 3. */
  count?: number;
  /** Names are `<namePrefix>-<i>` (1-based); default `coordinator`. */
  namePrefix?: string;
  /** Coordinator i (0-based) listens on hs2HttpBasePort + i; default 0 (ephemeral). */
  hs2HttpBasePort?: number;
  /** Coordinator i (0-based) serves its web UI on webuiBasePort + i; default 0 (ephemeral). */
  webuiBasePort?: number;
  /** Coordinator i (0-based) serves binary hs2 on hs2TcpBasePort + i; default 0 (ephemeral). */
  hs2TcpBasePort?: number;
}

export interface SimulatedCluster {
  readonly coordinators: readonly SimulatedCoordinator[];
  /** Closes every coordinator; idempotent. */
  close(): Promise<void>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<SimulatedCluster> {
  const { count = 3, namePrefix = 'coordinator', hs2HttpBasePort = 0, webuiBasePort = 0, hs2TcpBasePort = 0, ...shared } = options;
  const coordinators: SimulatedCoordinator[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(coordinators.map((coordinator) => coordinator.close()));
  };
  try {
    for (let index = 0; index < count; index++) {
      coordinators.push(
        await startCoordinator({
          ...shared,
          name: `${namePrefix}-${index + 1}`,
          hs2HttpPort: hs2HttpBasePort === 0 ? 0 : hs2HttpBasePort + index,
          webuiPort: webuiBasePort === 0 ? 0 : webuiBasePort + index,
          hs2TcpPort: hs2TcpBasePort === 0 ? 0 : hs2TcpBasePort + index,
        }),
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  for (const coordinator of coordinators) coordinator.setPeers(coordinators);
  return { coordinators, close };
}
