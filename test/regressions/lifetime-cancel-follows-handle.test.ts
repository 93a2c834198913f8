// Issue 11, "Ctrl-C is lost": impala-shell (4.4, 4.5, current) cancels a running query over a new
// connection that opens a new session; that session was pinned wherever its OpenSession went, and
// the CancelOperation that follows carries the first coordinator's operation handle with the new
// cookie. Following the cookie sent it to the wrong coordinator and the query ran its full course.
// A handle the proxy knows decides; the cookie, and the new session it names, stay as they are.
import { afterEach, expect, it } from 'vitest';
import { OperationState } from '../../src/tools/thrift/hs2.ts';
import { readCert } from '../helpers/certs.ts';
import { Hs2Client, assertSuccess } from '../helpers/hs2-client.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';

let harness: Harness | undefined;
const clients: Hs2Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await harness?.close();
  harness = undefined;
});

it('a CancelOperation carrying another coordinator’s operation handle goes to that coordinator, cookie untouched', async () => {
  const h = (harness = await startHarness({ coordinators: 2 }));
  const connect = () => {
    const client = new Hs2Client({ url: h.url, tls: { ca: readCert('ca.pem') } });
    clients.push(client);
    return client;
  };
  const shell = connect();
  assertSuccess((await shell.openSession()).status);
  const running = await shell.executeStatement('select sleep(30000)');
  assertSuccess(running.status);
  const home = h.proxy.coordinators.tokens.lookup(shell.cookies.get('impala.session.id')!)!.name;

  // The cancelling connection: a new session, which least-sessions puts on the other coordinator.
  const canceller = connect();
  assertSuccess((await canceller.openSession()).status);
  const cancellerCookie = canceller.cookies.get('impala.session.id')!;
  const other = h.proxy.coordinators.tokens.lookup(cancellerCookie)!.name;
  expect(other).not.toBe(home);

  const cancelled = await canceller.call('CancelOperation', { operationHandle: running.operationHandle! });
  assertSuccess(cancelled.status);
  expect(canceller.lastExchange!.setCookies).toEqual([]);
  expect(canceller.cookies.get('impala.session.id')).toBe(cancellerCookie);
  expect(h.log.access().at(-1)).toMatchObject({ rpc: 'CancelOperation', coordinator: home, affinity: 'handle' });
  const after = await shell.getOperationStatus(running.operationHandle!);
  // impalad reports a cancelled query as ERROR_STATE with "Cancelled" (it has no CANCELED_STATE case).
  expect(after.operationState).toBe(OperationState.ERROR);
  expect(after.errorMessage).toMatch(/Cancelled/);
  // The canceller's own session still works where its cookie points.
  assertSuccess((await canceller.ping()).status);
  expect(h.log.access().at(-1)).toMatchObject({ rpc: 'PingImpalaHS2Service', coordinator: other, affinity: 'kept' });
});
