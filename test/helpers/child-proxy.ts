// The real CLI in a child process (`node src/cli.ts --config FILE`), for what only a process can
// show: signals, exit codes, handles left open. Its stdout NDJSON is parsed as it arrives.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigInput } from '../../src/config/schema.ts';

export interface ChildLogLine {
  readonly level: string;
  readonly msg?: string;
  readonly event?: string;
  readonly [field: string]: unknown;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ChildProxy {
  readonly process: ChildProcess;
  readonly configPath: string;
  readonly lines: ChildLogLine[] = [];
  stderr = '';
  readonly exited: Promise<ChildExit>;
  readonly #dir: string;
  #pending = '';
  #waiters: { predicate: (line: ChildLogLine) => boolean; resolve: (line: ChildLogLine) => void }[] = [];

  constructor(config: ConfigInput) {
    this.#dir = mkdtempSync(join(tmpdir(), 'ihp-child-'));
    this.configPath = join(this.#dir, 'proxy.json');
    this.writeConfig(config);
    this.process = spawn(process.execPath, [new URL('../../src/cli.ts', import.meta.url).pathname, '--config', this.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.#onData(chunk));
    this.process.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => rmSync(this.#dir, { recursive: true, force: true }));
  }

  /** JSON is YAML: the CLI reads it as it would a proxy.yaml. */
  writeConfig(config: ConfigInput | string): void {
    writeFileSync(this.configPath, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  }

  #onData(chunk: string): void {
    this.#pending += chunk;
    let newline: number;
    while ((newline = this.#pending.indexOf('\n')) >= 0) {
      const text = this.#pending.slice(0, newline);
      this.#pending = this.#pending.slice(newline + 1);
      if (text === '') continue;
      const line = JSON.parse(text) as ChildLogLine;
      this.lines.push(line);
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.predicate(line)) return true;
        waiter.resolve(line);
        return false;
      });
    }
  }

  /** The first line (already logged or still to come) that matches; fails if the process exits first. */
  waitForLine(predicate: (line: ChildLogLine) => boolean, what = 'a log line', timeoutMs = 15_000): Promise<ChildLogLine> {
    const seen = this.lines.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stderr: ${this.stderr}`)), timeoutMs);
      const settle = (line: ChildLogLine) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.#waiters.push({ predicate, resolve: settle });
      void this.exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`proxy exited (${exit.code ?? exit.signal}) before ${what}; stderr: ${this.stderr}`));
      });
    });
  }

  /** https://127.0.0.1:<port> once the HTTPS listener is up. */
  async url(kind: 'https' | 'http' | 'admin' = 'https'): Promise<string> {
    const line = await this.waitForLine((l) => l.event === 'listening' && l.kind === kind, `the ${kind} listener`);
    return `${kind === 'https' ? 'https' : 'http'}://127.0.0.1:${line.port as number}`;
  }

  signal(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }

  /** Kills the process if it still runs (test cleanup). */
  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }
}
