// Large bodies stream through with backpressure both ways; the proxy holds a bounded amount.
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import type { Hs2Exchange } from '../../src/hs2/exchange.ts';
import { startProxy, type ProxyInstance } from '../../src/main.ts';
import { decodeReply, encodeCall, FetchOrientation } from '../../src/tools/thrift/hs2.ts';
import { certPath, readCert } from '../helpers/certs.ts';
import { startChildSimulator, type ChildSimulator } from '../helpers/child-simulator.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { LogSink } from '../helpers/log-sink.ts';
import { waitFor } from '../helpers/wait-for.ts';

const tenMiB = 10 * 1024 * 1024;

describe('streaming large bodies', () => {
  let simulator: ChildSimulator;
  let proxy: ProxyInstance;
  const log = new LogSink();

  beforeAll(async () => {
    simulator = await startChildSimulator(1);
    proxy = await startProxy(
      validateConfig({
        listen: { https: { host: '127.0.0.1', port: 0 } },
        tls: { certFile: certPath('proxy.pem'), keyFile: certPath('proxy-key.pem') },
        coordinators: simulator.coordinators.map((c) => ({ name: c.name, host: '127.0.0.1', hs2HttpPort: c.hs2HttpPort, webuiPort: c.webuiPort })),
        upstream: { mode: 'tls', tls: { caFile: certPath('ca.pem') } },
        cookie: { secrets: ['streaming-test'] },
        admin: null,
      }),
      log.logger,
    );
  }, 30_000);
  afterAll(async () => {
    await proxy?.close();
    await simulator?.close();
  });

  it('streams a 10 MB FetchResults reply to a slow client while holding only a bounded amount', async () => {
    const client = new Hs2Client({ url: proxy.url('https'), tls: { ca: readCert('ca.pem') } });
    assertSuccess((await client.openSession()).status);
    const executed = await client.executeStatement(`select repeat_bytes(${tenMiB})`);
    assertSuccess(executed.status);
    const cookie = client.jar.header('/cliservice')!;
    const body = encodeCall('FetchResults', { operationHandle: executed.operationHandle!, orientation: FetchOrientation.NEXT, maxRows: 1 });

    const baseline = process.memoryUsage().arrayBuffers;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(new URL('/cliservice', proxy.url('https')), { method: 'POST', ca: readCert('ca.pem'), agent: false, headers: { cookie, 'content-type': 'application/x-thrift' } }, resolve);
      req.on('error', reject);
      req.end(body);
    });
    response.pause(); // a client that does not read: the proxy must stop reading from the coordinator
    const exchange = await waitFor(() => [...proxy.coordinators.all[0]!.inFlight][0] as Hs2Exchange | undefined, { what: 'the exchange in flight' });
    await waitFor(() => exchange.isUpstreamPaused, { what: 'backpressure to reach the upstream', timeoutMs: 15_000 });
    const heldBytes = process.memoryUsage().arrayBuffers - baseline;
    expect(exchange.bytesOut).toBeLessThan(tenMiB);
    expect(heldBytes).toBeLessThan(4 * 1024 * 1024);

    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.resume();
    await new Promise((resolve) => response.once('end', resolve));
    const reply = decodeReply('FetchResults', Buffer.concat(chunks));
    assertSuccess(reply.status);
    expect(reply.results?.columns?.[0]?.stringVal?.values[0]?.length).toBe(tenMiB);
    // The client can have the last byte before the proxy ends the exchange: the last chunk filled
    // the response's buffer, undici's parser paused before it saw the message end, and resumes
    // only on the response's 'drain'. The access line follows then.
    const line = await waitFor(() => log.access().find((l) => l.rpc === 'FetchResults' && (l.bytesOut as number) > tenMiB), { what: 'the FetchResults access line' });
    expect(line).toMatchObject({ status: 200, affinity: 'kept' });
    client.close();
  });

  it('streams a 2 MB request body (larger than maxReplayBytes) to the coordinator', async () => {
    const client = new Hs2Client({ url: proxy.url('https'), tls: { ca: readCert('ca.pem') } });
    assertSuccess((await client.openSession()).status);
    const statement = `select 1 /* ${'x'.repeat(2 * 1024 * 1024)} */`;
    const executed = await client.executeStatement(statement);
    assertSuccess(executed.status);
    const line = await waitFor(() => log.access().find((l) => l.rpc === 'ExecuteStatement' && (l.bytesIn as number) > 2 * 1024 * 1024), { what: 'the ExecuteStatement access line' });
    expect(line).toMatchObject({ status: 200, affinity: 'kept' });
    client.close();
  });
});
