// server.workers as a number of processes: `auto` is one per core this process may use
// (os.availableParallelism(): the CPU affinity mask, so a container pinned to 4 cores gets 4).
import { availableParallelism } from 'node:os';
import type { Config } from '../config/schema.ts';

export function workerCount(workers: Config['server']['workers'], cores = availableParallelism()): number {
  return workers === 'auto' ? Math.max(1, cores) : workers;
}
