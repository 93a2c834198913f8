// Issue 11: CloseSession forgot the learned session on any HTTP 200, even when the Thrift status
// inside was an error (impalad answers every Thrift reply with HTTP 200). The session then was
// neither routable by its handle nor counted for least-sessions, while it still existed.
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

it('a CloseSession answered with an error keeps the session; a successful one forgets it', async () => {
  const h = (harness = await startHarness({ coordinators: 2 }));
  const client = new Hs2Client({ url: h.url, tls: { ca: readCert('ca.pem') } });
  const opened = await client.openSession();
  assertSuccess(opened.status);
  const home = h.proxy.coordinators.tokens.lookup(client.cookies.get('impala.session.id')!)!.name;
  expect(h.proxy.sessions.size).toBe(1);
  expect(h.proxy.coordinators.byName(home)!.sessions).toBe(1);

  // The same secret with another guid: the proxy keys the session by its secret, the coordinator
  // does not know that session and answers "Invalid session id" inside an HTTP 200.
  const sessionId = opened.sessionHandle!.sessionId;
  const wrong = { sessionId: { guid: randomBytes(16), secret: sessionId.secret } };
  const failed = await client.call('CloseSession', { sessionHandle: wrong });
  expect(client.lastExchange!.status).toBe(200);
  expect(failed.status.errorMessage).toMatch(/^Invalid session id/);
  expect(h.proxy.sessions.size).toBe(1);
  expect(h.proxy.coordinators.byName(home)!.sessions).toBe(1);

  assertSuccess((await client.closeSession()).status);
  expect(h.proxy.sessions.size).toBe(0);
  expect(h.proxy.coordinators.byName(home)!.sessions).toBe(0);
  client.close();
});
