// What the coordinator sees of a client's request, and what the client sees of a 401.
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolVersion, encodeCall } from '../../src/tools/thrift/hs2.ts';
import { readCert } from '../helpers/certs.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';
import { postRaw } from '../helpers/raw-rpc.ts';

describe('request and response headers', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ coordinators: 1, cluster: { users: { alice: 'secret' } } });
  });
  afterAll(async () => {
    await harness?.close();
  });

  const openSession = encodeCall('OpenSession', { client_protocol: ProtocolVersion.V6 });
  const basic = `Basic ${Buffer.from('alice:secret').toString('base64')}`;

  it('overwrites X-Forwarded-For (impalad trusts the left-most entry) and sets X-Forwarded-Proto', async () => {
    const response = await postRaw(harness.url, openSession, { authorization: basic, 'x-forwarded-for': '6.6.6.6, 7.7.7.7', 'x-forwarded-proto': 'http' });
    expect(response.status).toBe(200);
    const seen = harness.cluster.coordinators[0]!.rpcLog('OpenSession').at(-1)!.headers;
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('https');
  });

  it('removes hop-by-hop headers and the headers Connection names', async () => {
    await postRaw(harness.url, openSession, { authorization: basic, connection: 'keep-alive, X-Private', 'x-private': 'for the proxy only', 'keep-alive': 'timeout=5', te: 'trailers', 'x-request-id': 'abc-1' });
    const seen = harness.cluster.coordinators[0]!.rpcLog('OpenSession').at(-1)!.headers;
    expect(seen['x-private']).toBeUndefined();
    expect(seen['keep-alive']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen['x-request-id']).toBe('abc-1');
  });

  it('relays a coordinator 401 with Connection: close and closes the client connection after it', async () => {
    const socket = connect({ host: '127.0.0.1', port: Number(new URL(harness.url).port), ca: readCert('ca.pem'), servername: 'localhost' });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    socket.write(`POST /cliservice HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/x-thrift\r\ncontent-length: ${openSession.length}\r\nconnection: keep-alive\r\n\r\n`);
    socket.write(openSession);
    await closed; // the proxy ends the connection; a keep-alive 401 would leave it open and this would time out
    const text = Buffer.concat(received).toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 401 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text.toLowerCase()).toContain('www-authenticate: basic');
    expect(harness.log.access().at(-1)).toMatchObject({ status: 401, rpc: 'OpenSession' });
  });
});
