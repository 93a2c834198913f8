// stdout for a proxy with workers: every process writes NDJSON to the same pipe or file, so no
// write may split a line or interleave with another process's. A pipe keeps a write whole only
// up to PIPE_BUF (4,096 bytes on Linux, pipe(7)); pino's default destination batches up to 16 KiB
// a write. sonic-boom joins whole lines into buffers of at most `maxWrite` bytes, so with 4,096
// every write is whole lines and atomic (a single line longer than that is written alone). A file
// shared through one open file description appends each write whole (Linux: write(2), f_pos lock).
import { pino, type DestinationStream } from 'pino';

export function sharedStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: 2048, maxWrite: 4096, periodicFlush: 100 });
}
