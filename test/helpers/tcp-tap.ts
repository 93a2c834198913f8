// A byte-recording TCP relay: put it between the proxy and a coordinator (point the coordinator's
// port at the tap) to see exactly what the proxy sends upstream, connection by connection. Plain
// TCP only; with TLS upstream the bytes would be ciphertext.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TapConnection {
  /** Bytes the proxy sent on this connection, in order. */
  readonly sent: Buffer[];
  /** The proxy side closed it. */
  isClosed: boolean;
}

export interface TcpTap {
  readonly port: number;
  readonly connections: readonly TapConnection[];
  /** Everything one connection carried from the proxy, as latin1 text. */
  textOf(connection: TapConnection): string;
  close(): Promise<void>;
}

export async function startTcpTap(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpTap> {
  const connections: TapConnection[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const record: TapConnection = { sent: [], isClosed: false };
    connections.push(record);
    const upstream = connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => record.sent.push(chunk));
    client.once('close', () => {
      record.isClosed = true;
      upstream.destroy();
    });
    upstream.once('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    textOf: (connection) => Buffer.concat(connection.sent).toString('latin1'),
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
