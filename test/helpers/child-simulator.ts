// Simulated coordinators in their own process (`impala-ha-proxy simulate`), so a test can measure
// the proxy's memory in its own process without the simulator's buffers in the figure.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { certPath } from './certs.ts';

export interface ChildCoordinator {
  readonly name: string;
  readonly hs2HttpPort: number;
  readonly webuiPort: number;
}

export interface ChildSimulator {
  readonly coordinators: readonly ChildCoordinator[];
  close(): Promise<void>;
}

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export async function startChildSimulator(count: number): Promise<ChildSimulator> {
  const child: ChildProcess = spawn(process.execPath, [cli, 'simulate', '--coordinators', String(count), '--tls-cert', certPath('coordinator.pem'), '--tls-key', certPath('coordinator-key.pem')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const coordinators: ChildCoordinator[] = [];
  let output = '';
  child.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start: ${output}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${output}`)));
    child.stdout!.on('data', (text: string) => {
      output += text;
      for (const match of output.matchAll(/^(\S+): hs2-http https?:\/\/[^:]+:(\d+)\/cliservice\s+web UI https?:\/\/[^:]+:(\d+)\//gm)) {
        if (!coordinators.some((c) => c.name === match[1])) coordinators.push({ name: match[1]!, hs2HttpPort: Number(match[2]), webuiPort: Number(match[3]) });
      }
      if (coordinators.length === count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    coordinators,
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
