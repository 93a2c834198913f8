import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

// Paths that may carry credentials. Access lines never include headers wholesale, but error
// objects from undici or Node can: redact by name wherever they appear one level down.
const redactPaths = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'secrets',
  'token',
  '*.authorization',
  '*.cookie',
  '*["set-cookie"]',
  '*.password',
  '*.secret',
  '*.secrets',
  '*.token',
  '*.keyPassphrase',
  'req.headers.authorization',
  'req.headers.cookie',
];

const common = {
  base: { service: 'impala-ha-proxy' },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label: string) => ({ level: label }) },
};

/**
 * stdout, written asynchronously in batches of at least 4 KiB, and at least every 100 ms: one
 * write per line cost 43 µs per logged request against 38 µs batched (bench a-plain, proxy-log), and
 * a slow log reader never blocks the event loop. pino flushes what is left when the process exits.
 */
function stdoutDestination(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });
}

export function createLogger(level: LevelWithSilent, destination: DestinationStream = stdoutDestination()): Logger {
  return pino({ ...common, level, redact: { paths: redactPaths, censor: '[redacted]' } }, destination);
}

/**
 * The access logger: `logger`'s level and destination, lines tagged `log: "access"`, and no
 * redaction. Access lines are built by Hs2Proxy.logAccess from a fixed set of fields that never
 * carry a header or a credential, and redaction was most of their cost (7.5 → 2.6 µs a line,
 * bench/out/pino-bench.mjs), paid on every request.
 */
export function createAccessLogger(logger: Logger): Logger {
  const destination = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  return pino({ ...common, level: logger.level, base: { ...common.base, log: 'access' } }, destination);
}

export const silentLogger: Logger = pino({ level: 'silent' });
