// A start that failed for a reason an operator can fix gets one line naming the key and an exit
// code; anything else is a bug and keeps its stack (undefined here). The same with one process, in
// a worker (which sends the line to the primary) and in the primary.
import type { Config } from './config/schema.ts';
import { ListenError } from './server.ts';
import { TlsFileError } from './tls/files.ts';

export interface StartFailure {
  readonly line: string;
  readonly exitCode: number;
}

export function describeStartFailure(error: unknown, config: Config): StartFailure | undefined {
  if (error instanceof ListenError) return { line: error.message, exitCode: 1 };
  // A certificate replaced between the check at start-up and the listener start.
  if (error instanceof TlsFileError) return { line: error.message, exitCode: 2 };
  // A worker's failure, already described by the worker.
  if ((error as { name?: string })?.name === 'WorkerStartError') return { line: (error as Error).message, exitCode: (error as { exitCode: number }).exitCode };
  // The admin listener reports Node's own error: name it by its address.
  const failure = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (failure?.syscall === 'listen' && config.admin && failure.port === config.admin.port) {
    return { line: new ListenError('admin', config.admin.host, config.admin.port, failure).message, exitCode: 1 };
  }
  return undefined;
}
