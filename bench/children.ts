// Child processes of a benchmark run: each is started once, has one owner (the run), and is
// stopped by its own pid — SIGTERM, then SIGKILL after a grace period.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { connect, createServer } from 'node:net';

export class Child {
  readonly name: string;
  readonly process: ChildProcess;
  #stderrTail = '';
  #exited: Promise<void>;

  constructor(name: string, command: string, args: readonly string[], options: SpawnOptions = {}) {
    this.name = name;
    this.process = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
    // Drain stderr (a full pipe would block the child) and keep its end for error messages.
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-4000);
    });
    this.#exited = new Promise((resolve) => this.process.once('exit', () => resolve()));
  }

  get pid(): number {
    if (this.process.pid === undefined) throw new Error(`${this.name} did not start: ${this.#stderrTail}`);
    return this.process.pid;
  }

  get hasExited(): boolean {
    return this.process.exitCode !== null || this.process.signalCode !== null;
  }

  get stderrTail(): string {
    return this.#stderrTail.trim();
  }

  async stop(graceMs = 3000): Promise<void> {
    if (this.hasExited || this.process.pid === undefined) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** Resolves once 127.0.0.1:port accepts connections; rejects when the child exits or after `timeoutMs`. */
export async function waitForPort(port: number, child: Child, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.hasExited) throw new Error(`${child.name} exited during start: ${child.stderrTail}`);
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (isOpen) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${child.name} did not listen on ${port} within ${timeoutMs} ms: ${child.stderrTail}`);
}

/** A port that was free a moment ago (the OS picks it; the child binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs a command to completion with a hard time limit; resolves with its stdout. */
export function runBounded(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}): ${stderr.trim() || stdout.trim()}`));
    });
  });
}
