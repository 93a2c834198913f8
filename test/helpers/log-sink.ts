// Captures the proxy's pino NDJSON in memory so tests can assert on log fields (pino's own
// test pattern: a writable sink instead of stdout).
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.ts';

export interface LogLine {
  readonly level: string;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export class LogSink {
  readonly lines: LogLine[] = [];
  readonly logger: Logger;

  constructor(level: 'info' | 'debug' | 'trace' | 'warn' = 'info') {
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const text of chunk.toString('utf8').split('\n')) if (text !== '') this.lines.push(JSON.parse(text) as LogLine);
        done();
      },
    });
    this.logger = createLogger(level, stream);
  }

  /** Access lines (one per hs2 request). */
  access(): LogLine[] {
    return this.lines.filter((line) => line.log === 'access');
  }

  find(predicate: (line: LogLine) => boolean): LogLine | undefined {
    return this.lines.find(predicate);
  }

  /** Everything logged, as text: for asserting that no secret leaked. */
  text(): string {
    return this.lines.map((line) => JSON.stringify(line)).join('\n');
  }
}
