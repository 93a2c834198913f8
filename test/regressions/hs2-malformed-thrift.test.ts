// Regression, issue 10 item 4: a valid OpenSession message header followed by a truncated or garbage
// struct reached each coordinator in turn (each resets the connection, the proxy replayed it to the
// next) and each reset counted as a passive failure: 6 such requests marked all three coordinators
// down and a good client saw 249 of 588 RPCs fail. A body that is not a well-formed Thrift call
// must get 400 before it reaches any coordinator, and a good client alongside must see no failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCall } from '../../src/tools/thrift/hs2.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client } from '../helpers/hs2-client.ts';
import { withDeadline } from '../helpers/wait-for.ts';
import { startHarness, steadyHealth, type Harness } from '../helpers/proxy-harness.ts';
import { postRaw, type RawResponse } from '../helpers/raw-rpc.ts';
import { TType, bytes, i32, strictHeader, string } from '../helpers/thrift-bytes.ts';

let harness: Harness;

beforeAll(async () => {
  // Probes with room to spare on a loaded machine: a health event here must come from the requests.
  harness = await startHarness({ config: { server: { shutdownTimeoutMs: 1000 }, health: steadyHealth } });
});

afterAll(async () => {
  await harness?.close();
});

const header = strictHeader('OpenSession');
const malformedBodies: [shape: string, body: Buffer][] = [
  ['the header alone', header],
  ['a struct cut inside an i32 field', Buffer.concat([header, bytes(TType.STRUCT, 0, 1, TType.I32, 0, 1, 0, 0)])],
  ['a string longer than the body', Buffer.concat([header, bytes(TType.STRUCT, 0, 1, TType.STRING, 0, 2), i32(100), Buffer.from('alice')])],
  ['a negative string length', Buffer.concat([header, bytes(TType.STRUCT, 0, 1, TType.STRING, 0, 2), i32(-5), bytes(0, 0)])],
  ['an unknown field type', Buffer.concat([header, bytes(TType.STRUCT, 0, 1, 0x55, 0, 1), Buffer.alloc(20)])],
  ['a list of 2^31-1 i32s in 16 bytes', Buffer.concat([header, bytes(TType.STRUCT, 0, 1, TType.LIST, 0, 4, TType.I32), i32(0x7fffffff), Buffer.alloc(16), bytes(0, 0)])],
  ['garbage after the struct', Buffer.concat([header, bytes(TType.STRUCT, 0, 1, TType.I32, 0, 1), i32(5), bytes(0, 0), string('trailing garbage')])],
  ['a well-formed call with bytes after its end', Buffer.concat([encodeCall('OpenSession', { client_protocol: 5 }), Buffer.from('GET / HTTP/1.1\r\n\r\n')])],
];


/** A well-behaved client running queries in a loop until stopped; counts what failed. */
function runGoodClient(): { stop(): Promise<{ queries: number; failures: string[] }> } {
  const client = new Hs2Client({ url: harness.url, tls: { ca: readCert('ca.pem') } });
  let isStopped = false;
  let queries = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (!isStopped) {
      try {
        if (client.session === undefined) await client.openSession();
        await client.query('select 1');
        queries++;
      } catch (error) {
        failures.push((error as Error).message);
        client.session = undefined; // start over on a fresh session, as impyla would
      }
    }
  })();
  return {
    async stop() {
      isStopped = true;
      await withDeadline(loop, 15_000, 'the good client’s last query');
      client.close();
      return { queries, failures };
    },
  };
}

describe('hs2 bodies that are not a well-formed Thrift call', () => {
  it('get 400 before any coordinator sees them; every coordinator stays up; a good client alongside sees no failure', async () => {
    const good = runGoodClient();
    const answers: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const [shape, body] of malformedBodies) {
        const response = await withDeadline(postRaw(harness.url, body, { 'x-test-request': 'malformed' }), 10_000, shape).catch((error: Error) => error);
        answers.push(`${shape}: ${response instanceof Error ? response.message : (response as RawResponse).status}`);
      }
    }
    const goodClient = await good.stop();

    const seen = harness.cluster.coordinators.flatMap((c) => c.requestLog.filter((entry) => entry.headers['x-test-request'] === 'malformed').map(() => c.name));
    const coordinators = harness.proxy.status().coordinators.map((c) => `${c.name}: ${c.health}`);
    const blamed = harness.log.lines.filter((line) => line.event === 'replay' || line.event === 'health').map((line) => line.msg);

    // One comparison, so a failure shows the whole picture.
    expect({
      answers,
      seenByCoordinators: seen.length,
      coordinators,
      blamed: { count: blamed.length, first: blamed[0] },
      goodClientFailures: { count: goodClient.failures.length, first: goodClient.failures[0] },
    }).toEqual({
      answers: [0, 1, 2].flatMap(() => malformedBodies.map(([shape]) => `${shape}: 400`)),
      seenByCoordinators: 0,
      coordinators: harness.cluster.coordinators.map((c) => `${c.name}: up`),
      blamed: { count: 0, first: undefined },
      goodClientFailures: { count: 0, first: undefined },
    });
    expect(goodClient.queries).toBeGreaterThan(0); // it did run alongside
  });
});
