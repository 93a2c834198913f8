// Issue 11, "A split body with maxReplayBytes: 0": an OpenSession whose body came in two TCP
// segments was answered 400, because the body reader stopped after the first chunk and the
// sniffer's "need more bytes" answer was taken as "not Thrift". The sniffer now reads on until it
// has the message header (up to 64 KiB), whatever the replay limit.
import { once } from 'node:events';
import { connect } from 'node:tls';
import { afterEach, expect, it } from 'vitest';
import { decodeReply, encodeCall, ProtocolVersion, StatusCode } from '../../src/tools/thrift/hs2.ts';
import { readCert } from '../helpers/certs.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

it('maxReplayBytes 0: an OpenSession sent in two segments is served', async () => {
  const h = (harness = await startHarness({ config: { upstream: { maxReplayBytes: 0 } } }));
  const { hostname, port } = new URL(h.url);
  const socket = connect({ host: hostname, port: Number(port), ca: readCert('ca.pem') });
  await once(socket, 'secureConnect');
  const body = encodeCall('OpenSession', { client_protocol: ProtocolVersion.V6 });
  socket.write(`POST /cliservice HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/x-thrift\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
  socket.write(body.subarray(0, 5)); // ends inside the message header
  // The gap is the shape of the input (two TCP segments, as a slow link delivers them), not a wait
  // for the proxy: it has nothing to observe until the second segment.
  await new Promise((resolve) => setTimeout(resolve, 150));
  socket.write(body.subarray(5));
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'end');
  const text = Buffer.concat(chunks);
  const split = text.indexOf('\r\n\r\n');
  expect(text.subarray(0, split).toString()).toMatch(/^HTTP\/1\.1 200 /);
  expect(decodeReply('OpenSession', text.subarray(split + 4)).status.statusCode).toBe(StatusCode.SUCCESS);
  expect(h.log.access().at(-1)).toMatchObject({ rpc: 'OpenSession', status: 200 });
});

