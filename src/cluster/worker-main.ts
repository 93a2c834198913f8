// The entry of a worker process: cluster.fork() runs the CLI again, and the CLI, seeing it is a
// worker, comes here instead of reading argv. The worker says hello, gets its config and state from
// the primary, serves, and exits 0 once it drained after `shutdown` (or SIGTERM/SIGINT: Ctrl-C in a
// terminal signals the whole process group, and a draining worker must not die of it). SIGHUP is
// the primary's to handle. A worker whose primary dies exits at once (Node's cluster module).
import cluster from 'node:cluster';
import type { Config } from '../config/schema.ts';
import { describeStartFailure } from '../start-failure.ts';
import { tuneGarbageCollector } from '../gc-tuning.ts';
import { createLogger, type Logger } from '../log.ts';
import { sharedStdout } from './log-destination.ts';
import { isEnvelope, Outbox, type BoundListener, type StartMessage, type ToPrimary, type ToWorker } from './protocol.ts';
import { ProxyWorker } from './worker.ts';

export async function runWorker(): Promise<number> {
  const id = cluster.worker!.id;
  /** Resolves when the last message sent is written (a disconnect would drop what is still queued). */
  let written = Promise.resolve();
  let worker: ProxyWorker | undefined;
  const outbox = new Outbox<ToPrimary>(
    (envelope) => {
      if (!process.connected) return;
      written = new Promise((resolve) => process.send!(envelope, undefined, undefined, () => resolve()));
    },
    (count) => worker?.countSent(count),
  );
  let logger: Logger | undefined;
  let failure: unknown;
  // Only the config outlives `begin`: the rest of the start message (up to sessions.maxEntries
  // session pairs) is in the replicas.
  let onStart!: (config: Config) => void;
  const started = new Promise<Config>((resolve) => (onStart = resolve));
  /**
   * The replicas exist before the next message is read: what the primary sent right after `start`
   * (often in the same batch) is applied to them, in order.
   */
  const begin = (start: StartMessage): void => {
    if (logger !== undefined) return;
    logger = createLogger(start.logLevel, sharedStdout()).child({ worker: id });
    tuneGarbageCollector();
    try {
      worker = new ProxyWorker(start, logger, outbox, id);
    } catch (error) {
      failure = error;
    }
    onStart(start.config);
  };
  let stop!: (why: string) => void;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  process.on('message', (envelope: unknown) => {
    if (!isEnvelope<ToWorker>(envelope)) return;
    for (const message of envelope.impalaHaProxy) {
      if (message.type === 'start') begin(message);
      else if (message.type === 'shutdown') stop('shutdown');
      else worker?.receive(message);
    }
  });
  process.on('SIGHUP', () => undefined);
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  outbox.push({ type: 'hello' });

  const config = await started;
  let code = 0;
  let tcpListeners: readonly BoundListener[] | undefined;
  try {
    if (failure !== undefined) throw failure;
    tcpListeners = await worker!.listen();
  } catch (error) {
    const described = describeStartFailure(error, config);
    outbox.push({ type: 'start-failed', line: described?.line ?? ((error as Error)?.stack ?? String(error)), exitCode: described?.exitCode ?? 1 });
    code = described?.exitCode ?? 1;
  }
  if (tcpListeners !== undefined) {
    outbox.push({ type: 'started', tcpListeners });
    const why = await stopped;
    logger!.info({ event: 'worker-stopping', why }, `worker ${id}: ${why}: finishing in-flight requests, then exiting`);
    await worker!.close();
  }
  outbox.flush();
  await written;
  logger!.flush();
  // Leaves once nothing is left open; should anything linger, it does not hold the exit up.
  setTimeout(() => process.exit(code), 5_000).unref();
  cluster.worker!.disconnect();
  return code;
}
