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

export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'impala-ha-proxy' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
