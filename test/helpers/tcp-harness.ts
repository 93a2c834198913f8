// The proxy harness with TCP listeners in front of the simulators' binary hs2 ports (plain binary
// hs2 by default), and binary HS2 clients through them.
import type { ConfigInput } from '../../src/config/schema.ts';
import { Hs2BinaryClient, assertSuccess } from './hs2-client.ts';
import { startHarness, type Harness, type HarnessOptions } from './proxy-harness.ts';

export type TcpListenerInput = NonNullable<ConfigInput['tcp']>[number];

/** One TCP listener named `hs2` (merged with `listener`), coordinators serving plain binary hs2. */
export function startTcpHarness(listener: Partial<TcpListenerInput> = {}, options: HarnessOptions = {}): Promise<Harness> {
  return startHarness({
    ...options,
    cluster: { hs2TcpTls: false, ...options.cluster },
    config: { tcp: [{ name: 'hs2', host: '127.0.0.1', port: 0, ...listener }], ...options.config },
  });
}

export function tcpPort(h: Harness, name = 'hs2'): number {
  return h.proxy.tcpListeners.find((listener) => listener.name === name)!.port;
}

/** Binary clients of one test, closed together. */
export class BinaryClients {
  readonly #clients: Hs2BinaryClient[] = [];

  /** A client of the listener `name` that does not reconnect on its own (impyla keeps a dead socket). */
  connect(h: Harness, options: { localAddress?: string; name?: string } = {}): Hs2BinaryClient {
    const client = new Hs2BinaryClient({ host: '127.0.0.1', port: tcpPort(h, options.name), reconnect: false, ...(options.localAddress && { localAddress: options.localAddress }) });
    this.#clients.push(client);
    return client;
  }

  closeAll(): void {
    for (const client of this.#clients.splice(0)) client.close();
  }
}

/** Opens a session and returns the coordinator that runs it (the simulator answers `select 1` with its name). */
export async function sessionHome(client: Hs2BinaryClient): Promise<string> {
  assertSuccess((await client.openSession()).status);
  return String((await client.query('select 1')).rows[0]![0]);
}

export const tcpAccessLines = (h: Harness) => h.log.access().filter((line) => line.event === 'tcp');
