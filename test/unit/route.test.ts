// DESIGN §4's routing table (src/hs2/route.ts), row by row, over a real CoordinatorSet of a
// validated config; coordinator states are set on their registry entries.
import { afterEach, describe, expect, it } from 'vitest';
import { takeAffinityCookie } from '../../src/affinity/cookie-header.ts';
import { RoundRobin } from '../../src/balancer/round-robin.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { OperatorState } from '../../src/config/schema.ts';
import { Candidates } from '../../src/hs2/candidates.ts';
import { routeRequest } from '../../src/hs2/route.ts';
import type { SniffedRequest } from '../../src/hs2/sniff.ts';
import { silentLogger } from '../../src/log.ts';
import { CoordinatorSet } from '../../src/upstream/coordinator-set.ts';
import { CoordinatorRegistry } from '../../src/upstream/registry.ts';

const secret = 'route-test-secret';
const sets: CoordinatorSet[] = [];
afterEach(async () => {
  for (const set of sets.splice(0)) await set.destroy();
});

function setup(names: readonly string[] = ['a', 'b', 'c'], backups: readonly string[] = []) {
  const config = validateConfig({
    listen: { https: null, http: { port: 0 } },
    coordinators: names.map((name) => ({ name, host: '127.0.0.1', backup: backups.includes(name) })),
    cookie: { secrets: [secret] },
  });
  const registry = new CoordinatorRegistry(() => 0);
  const coordinators = new CoordinatorSet({ config, secrets: [secret], registry, tls: undefined, logger: silentLogger });
  sets.push(coordinators);
  const sessions = new Map<string, string>();
  const policy = new RoundRobin();
  const route = (cookieHeader: string | undefined, sniffed: SniffedRequest) =>
    routeRequest(
      { cookie: takeAffinityCookie(cookieHeader, 'impala.session.id'), sniffed },
      { coordinators, sessionOwner: (key) => sessions.get(key), candidates: new Candidates(() => ({ coordinators, policy }), { clientIp: '10.0.0.1' }) },
    );
  const cookieFor = (name: string) => `impala.session.id=${coordinators.tokens.tokenFor(name)}`;
  const setHealth = (name: string, health: 'up' | 'down') => {
    const state = registry.get(name)!;
    state.health = { ...state.health, state: health };
  };
  const setOperator = (name: string, operator: OperatorState) => registry.setOperatorOverride(name, { state: operator, configState: 'enabled', atMs: 0 });
  return { coordinators, registry, sessions, route, cookieFor, setHealth, setOperator };
}

const openSession: SniffedRequest = { method: 'OpenSession', sessionKey: undefined };
const execute = (sessionKey: string | undefined): SniffedRequest => ({ method: 'ExecuteStatement', sessionKey });

const summary = (decision: ReturnType<ReturnType<typeof setup>['route']>) => ({
  to: decision.coordinator?.name,
  verdict: decision.verdict,
  setCookie: decision.setCookie,
  stripAuth: decision.stripAuth,
  reason: decision.reason,
});

describe('routeRequest (DESIGN §4)', () => {
  it('valid cookie, coordinator available or draining: forwarded to it, no Set-Cookie', () => {
    const t = setup();
    expect(summary(t.route(t.cookieFor('b'), execute(undefined)))).toEqual({ to: 'b', verdict: 'kept', setCookie: false, stripAuth: false, reason: undefined });
    t.setOperator('b', 'draining');
    expect(summary(t.route(t.cookieFor('b'), execute(undefined)))).toMatchObject({ to: 'b', verdict: 'kept', setCookie: false });
  });

  it('valid cookie, draining, OpenSession: a peer, re-pinned; with no peer the draining one serves', () => {
    const t = setup(['a', 'b']);
    t.setOperator('b', 'draining');
    expect(summary(t.route(t.cookieFor('b'), openSession))).toEqual({ to: 'a', verdict: 'repinned', setCookie: true, stripAuth: true, reason: 'draining' });
    t.setHealth('a', 'down');
    expect(summary(t.route(t.cookieFor('b'), openSession))).toMatchObject({ to: 'b', verdict: 'kept' });
  });

  it.each([
    ['down', 'down'],
    ['disabled', 'disabled'],
  ] as const)('valid cookie, coordinator %s: a peer, impala.auth stripped, Set-Cookie', (what, reason) => {
    const t = setup();
    if (what === 'down') t.setHealth('b', 'down');
    else t.setOperator('b', 'disabled');
    const decision = summary(t.route(t.cookieFor('b'), execute(undefined)));
    expect(decision).toMatchObject({ verdict: 'repinned', setCookie: true, stripAuth: true, reason });
    expect(decision.to).not.toBe('b');
  });

  it('valid cookie of a coordinator removed by a reload: re-pinned as removed, not as a forgery', () => {
    const registry = new CoordinatorRegistry(() => 0);
    registry.obtain('gone');
    const config = validateConfig({ listen: { https: null, http: { port: 0 } }, coordinators: [{ name: 'a', host: '127.0.0.1' }], cookie: { secrets: [secret] } });
    const coordinators = new CoordinatorSet({ config, secrets: [secret], registry, tls: undefined, logger: silentLogger });
    sets.push(coordinators);
    const token = coordinators.tokens.tokenFor('gone');
    const decision = routeRequest(
      { cookie: takeAffinityCookie(`impala.session.id=${token}`, 'impala.session.id'), sniffed: execute(undefined) },
      { coordinators, sessionOwner: () => undefined, candidates: new Candidates(() => ({ coordinators, policy: new RoundRobin() }), { clientIp: '' }) },
    );
    expect(summary(decision)).toEqual({ to: 'a', verdict: 'repinned', setCookie: true, stripAuth: true, reason: 'removed' });
  });

  it('no or a bad cookie, session handle known: its coordinator, Set-Cookie (recovered / invalid)', () => {
    const t = setup();
    t.sessions.set('s1', 'c');
    expect(summary(t.route(undefined, execute('s1')))).toEqual({ to: 'c', verdict: 'recovered', setCookie: true, stripAuth: false, reason: undefined });
    expect(summary(t.route('impala.session.id=v1.AAAAAAAAAAAAAAAAAAAAAA', execute('s1')))).toMatchObject({ to: 'c', verdict: 'invalid', setCookie: true });
  });

  it('no or a bad cookie, unknown handle: the policy chooses, Set-Cookie (new / invalid)', () => {
    const t = setup();
    expect(summary(t.route(undefined, execute('unknown')))).toMatchObject({ verdict: 'new', setCookie: true, stripAuth: false });
    expect(summary(t.route('impala.session.id=forged', openSession))).toMatchObject({ verdict: 'invalid', setCookie: true });
  });

  it('a known handle decides over a valid cookie for another coordinator, and leaves the cookie alone (Ctrl-C in impala-shell)', () => {
    const t = setup();
    t.sessions.set('first', 'a');
    expect(summary(t.route(t.cookieFor('b'), execute('first')))).toEqual({ to: 'a', verdict: 'handle', setCookie: false, stripAuth: true, reason: undefined });
    // The handle's coordinator cannot serve it: the cookie decides, as without a handle.
    t.setHealth('a', 'down');
    expect(summary(t.route(t.cookieFor('b'), execute('first')))).toMatchObject({ to: 'b', verdict: 'kept' });
  });

  it('a known handle whose coordinator is the pinned one: kept', () => {
    const t = setup();
    t.sessions.set('s', 'b');
    expect(summary(t.route(t.cookieFor('b'), execute('s')))).toEqual({ to: 'b', verdict: 'kept', setCookie: false, stripAuth: false, reason: undefined });
  });

  it('cookie for a down coordinator, handle known elsewhere: recovered there, impala.auth stripped', () => {
    const t = setup();
    t.sessions.set('s', 'c');
    t.setHealth('b', 'down');
    expect(summary(t.route(t.cookieFor('b'), execute('s')))).toEqual({ to: 'c', verdict: 'recovered', setCookie: true, stripAuth: true, reason: 'down' });
  });

  it('no coordinator available: none chosen (503), pin unchanged', () => {
    const t = setup(['a', 'b']);
    t.setHealth('a', 'down');
    t.setHealth('b', 'down');
    expect(t.route(undefined, openSession).coordinator).toBeUndefined();
    expect(t.route(t.cookieFor('a'), execute(undefined)).coordinator).toBeUndefined();
  });

  it('backups get new pins only while no primary is available, and keep what they have after', () => {
    const t = setup(['a', 'b', 'spare'], ['spare']);
    const firstPins = new Set(Array.from({ length: 6 }, () => t.route(undefined, openSession).coordinator!.name));
    expect(firstPins).toEqual(new Set(['a', 'b']));
    t.setHealth('a', 'down');
    t.setHealth('b', 'down');
    expect(t.route(undefined, openSession).coordinator!.name).toBe('spare');
    expect(summary(t.route(t.cookieFor('a'), execute(undefined)))).toMatchObject({ to: 'spare', verdict: 'repinned', reason: 'down' });
    t.setHealth('a', 'up');
    // A primary is back: new sessions go to it; the client pinned to the backup stays there.
    expect(t.route(undefined, openSession).coordinator!.name).toBe('a');
    expect(summary(t.route(t.cookieFor('spare'), execute(undefined)))).toMatchObject({ to: 'spare', verdict: 'kept' });
  });
});
