// The listening sockets of one simulated coordinator and every connection they accepted. Each
// port is a plain net.Server: an accepted socket is handed to its port's `accept` (an http(s)
// server, a tls server or the binary hs2 handler) unless the coordinator is frozen, in which
// case it is held untouched, the way a SIGSTOPped impalad's kernel completes TCP handshakes and
// nothing reads the bytes. close() is a crash: listeners closed, every socket destroyed.
import net from 'node:net';

export type PortKind = 'hs2' | 'webui' | 'hs2-tcp';

/** How long a restart keeps trying to bind a port taken meanwhile (see listen()). */
const restartBindRetryMs = 5_000;

function listenOnce(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export interface ListenerHooks {
  isFrozen(): boolean;
  onAccept(kind: PortKind): void;
}

export class CoordinatorListeners {
  readonly #host: string;
  readonly #hooks: ListenerHooks;
  readonly #sockets = new Set<net.Socket>();
  readonly #open: Record<PortKind, number> = { hs2: 0, webui: 0, 'hs2-tcp': 0 };
  #held: [net.Socket, (socket: net.Socket) => void][] = [];
  #servers: net.Server[] = [];

  constructor(host: string, hooks: ListenerHooks) {
    this.#host = host;
    this.#hooks = hooks;
  }

  /** Open connections on ports of `kind`. */
  openConnections(kind: PortKind): number {
    return this.#open[kind];
  }

  /** Listens on `port` (0: ephemeral); resolves with the port bound. */
  async listen(port: number, kind: PortKind, accept: (socket: net.Socket) => void): Promise<number> {
    const server = net.createServer((socket) => {
      this.#sockets.add(socket);
      this.#open[kind]++;
      socket.once('close', () => {
        this.#sockets.delete(socket);
        this.#open[kind]--;
      });
      socket.on('error', () => {});
      this.#hooks.onAccept(kind);
      if (this.#hooks.isFrozen()) this.#held.push([socket, accept]);
      else accept(socket);
    });
    this.#servers.push(server);
    // A restart listens on the port chosen first, which is in the ephemeral range: while it was
    // closed, an outgoing connection of this machine may have been given it as its local port
    // (seen once in the suite: EADDRINUSE at restart). Such connections are short-lived here, so
    // the bind is tried again for a while, as a supervisor restarting impalad would.
    const deadline = performance.now() + restartBindRetryMs;
    for (;;) {
      try {
        await listenOnce(server, this.#host, port);
        break;
      } catch (error) {
        if (port === 0 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || performance.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return (server.address() as net.AddressInfo).port;
  }

  /** Unfreeze: hands every held socket that is still open to its port. */
  releaseHeld(): void {
    const held = this.#held;
    this.#held = [];
    for (const [socket, accept] of held) if (!socket.destroyed) accept(socket);
  }

  /** Closes every listener and destroys every connection; resolves when the listeners are closed. */
  async close(): Promise<void> {
    const servers = this.#servers;
    this.#servers = [];
    const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    for (const socket of this.#sockets) socket.destroy();
    this.#held = [];
    await closed;
  }
}
