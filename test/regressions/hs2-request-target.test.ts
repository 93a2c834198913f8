// Regression, issue 10 item 2: the hs2 path never validated the request target. `OPTIONS *`,
// `POST *` and absolute-form targets with other schemes reached undici, which rejects them
// synchronously; the proxy took that for an upstream reset, replayed the request to every
// coordinator and counted it against each (5 such requests marked all coordinators down), and each
// left an undici pool slot unusable (after 16, every hs2 request queued forever). The proxy must
// answer such targets 400 itself, blame no coordinator, and rewrite absolute-form http(s) targets
// to origin-form. Raw TLS sockets: no HTTP client sends these shapes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeCall } from '../../src/tools/thrift/hs2.ts';
import { decodeReply } from '../../src/tools/thrift/hs2.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { readCert } from '../helpers/certs.ts';
import { withDeadline } from '../helpers/wait-for.ts';
import { startHarness, steadyHealth, type Harness } from '../helpers/proxy-harness.ts';
import { rawTlsExchange } from '../helpers/raw-tls.ts';

let harness: Harness;
let port: number;

beforeEach(async () => {
  // A short shutdown grace: a proxy with dead pools would otherwise hold close() for 30 s.
  // Probes with room to spare on a loaded machine: a health event here must come from the requests.
  harness = await startHarness({ config: { server: { shutdownTimeoutMs: 1000 }, health: steadyHealth } });
  port = Number(new URL(harness.url).port);
});

afterEach(async () => {
  // Bounded: with its pools dead (the bug) the proxy's close() never returns; say so and move on.
  await withDeadline(harness.close(), 10_000, 'harness.close()');
});

const openSessionBody = encodeCall('OpenSession', { client_protocol: 5, username: 'alice' });

/** A request head (and body) with a marker header, so a coordinator that saw it can be told. */
function rawRequest(method: string, target: string, marker: string, body: Buffer | null = openSessionBody): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', `X-Test-Request: ${marker}`];
  if (body !== null) lines.push('Content-Type: application/x-thrift', `Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
}

const hostileShapes: [method: string, target: string, hasBody: boolean][] = [
  ['OPTIONS', '*', false],
  ['POST', '*', true],
  ['POST', 'ftp://x/cliservice', true],
];

/** Requests with this marker that reached any coordinator. */
function seenByCoordinators(marker: string): number {
  return harness.cluster.coordinators.reduce((count, c) => count + c.requestLog.filter((entry) => entry.headers['x-test-request'] === marker).length, 0);
}


describe('hs2 request targets that are not origin-form', () => {
  it.each(hostileShapes)('%s %s gets 400 from the proxy and reaches no coordinator', async (method, target, hasBody) => {
    const reply = await rawTlsExchange(port, rawRequest(method, target, 'hostile', hasBody ? openSessionBody : null));
    expect(reply.isTimedOut, reply.text).toBe(false);
    expect(reply.status, reply.text).toBe(400);
    expect(seenByCoordinators('hostile')).toBe(0);
  });

  it('after 40 of them every coordinator is up, none was blamed, and a good client is served promptly', async () => {
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const [method, target, hasBody] = hostileShapes[i % hostileShapes.length]!;
        return rawTlsExchange(port, rawRequest(method, target, 'hostile', hasBody ? openSessionBody : null), 5000);
      }),
    );
    const statuses: Record<string, number> = {};
    for (const reply of replies) {
      const key = reply.isTimedOut ? 'no answer in 5 s' : String(reply.status ?? 'closed without a response');
      statuses[key] = (statuses[key] ?? 0) + 1;
    }

    const coordinators = harness.proxy.status().coordinators.map((c) => `${c.name}: ${c.health}${c.isAvailable ? '' : ' (unavailable)'}`);
    const blamedLines = harness.log.lines.filter((line) => line.event === 'replay' || line.event === 'health').map((line) => line.msg);

    const client = new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
    const served = await withDeadline(
      (async () => {
        assertSuccess((await client.openSession()).status);
        const executed = await client.executeStatement('select 1');
        assertSuccess(executed.status);
        assertSuccess((await client.fetchResults(executed.operationHandle!)).status);
        return 'served';
      })(),
      10_000,
      'OpenSession, ExecuteStatement, FetchResults',
    ).catch((error: Error) => error.message);
    client.close();

    // One comparison, so a failure shows the whole picture.
    expect({ statuses, coordinators, blamed: { count: blamedLines.length, first: blamedLines[0] }, served }).toEqual({
      statuses: { 400: 40 },
      coordinators: harness.cluster.coordinators.map((c) => `${c.name}: up`),
      blamed: { count: 0, first: undefined },
      served: 'served',
    });
  });

  it('serves an absolute-form https target as origin-form, whatever its authority says', async () => {
    for (const [target, path] of [
      [`https://127.0.0.1:${port}/cliservice`, '/cliservice'],
      ['http://127.0.0.2:1/cliservice?x=1', '/cliservice?x=1'],
    ] as const) {
      const marker = `absolute ${target}`;
      const reply = await rawTlsExchange(port, rawRequest('POST', target, marker));
      expect(reply.status, reply.text).toBe(200);
      const body = Buffer.from(reply.text.slice(reply.text.indexOf('\r\n\r\n') + 4), 'latin1');
      assertSuccess(decodeReply('OpenSession', body).status);
      const seen = harness.cluster.coordinators.flatMap((c) => c.requestLog.filter((entry) => entry.headers['x-test-request'] === marker));
      expect(seen.map((entry) => entry.path)).toEqual([path]);
    }
  });
});
