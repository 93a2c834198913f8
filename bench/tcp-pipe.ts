// The floor of byte piping in Node, for the binary HS2 workloads: node:net and two pipe() calls per
// connection, to the coordinators in turn (round-robin; no health, no timeouts, no accounting).
// impala-ha-proxy's TCP listener (src/tcp/connection.ts) adds balancing, connect retry, idle
// timeouts and byte counts on top of this; HAProxy `mode tcp` is the non-Node reference.
//
//   node bench/tcp-pipe.ts PORT UPSTREAM_PORT[,UPSTREAM_PORT…]
import { connect, createServer, type Socket } from 'node:net';

const [port, upstreamList] = process.argv.slice(2);
if (upstreamList === undefined) throw new Error('usage: tcp-pipe.ts PORT UPSTREAM_PORT[,UPSTREAM_PORT…]');
const upstreams = upstreamList.split(',').map(Number);
let next = 0;

createServer({ noDelay: true }, (client: Socket) => {
  const upstream = connect({ host: '127.0.0.1', port: upstreams[next++ % upstreams.length]!, noDelay: true });
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
}).listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
