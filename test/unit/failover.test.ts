// The failover decision (src/hs2/failover.ts): replay, answer or cut, and what counts as evidence.
import { describe, expect, it } from 'vitest';
import { ProxyError, type ErrorCode } from '../../src/errors.ts';
import { answerFor, decideFailure, isEvidence } from '../../src/hs2/failover.ts';

const error = (code: ErrorCode) => new ProxyError(code, `${code} happened`);
const facts = (code: ErrorCode, overrides: Partial<Parameters<typeof decideFailure>[0]> = {}) => ({
  error: error(code),
  hasResponseStarted: false,
  isBodyComplete: true,
  implicatingFailures: 0,
  ...overrides,
});

describe('decideFailure', () => {
  it.each<ErrorCode>(['UPSTREAM_CONNECT_REFUSED', 'UPSTREAM_CONNECT_TIMEOUT', 'UPSTREAM_TLS', 'UPSTREAM_RESET', 'UPSTREAM_HEADERS_TIMEOUT', 'UPSTREAM_DOWN', 'UPSTREAM_PROTOCOL'])(
    'replays a kept body after %s before any response byte',
    (code) => expect(decideFailure(facts(code))).toBe('replay'),
  );

  it('cuts the client connection once response bytes went out, whatever failed', () => {
    for (const code of ['UPSTREAM_RESET', 'UPSTREAM_BODY_TIMEOUT', 'UPSTREAM_DOWN'] as const) expect(decideFailure(facts(code, { hasResponseStarted: true }))).toBe('cut');
  });

  it('answers when the body was streamed (not kept), or the failure is not replayable', () => {
    expect(decideFailure(facts('UPSTREAM_RESET', { isBodyComplete: false }))).toBe('answer');
    expect(decideFailure(facts('INTERNAL'))).toBe('answer');
    expect(decideFailure(facts('UPSTREAM_BODY_TIMEOUT'))).toBe('answer');
  });

  it('replays at most once after failures the request may have caused', () => {
    // A reset on the first coordinator, a reset on the replay: answer, do not go round the cluster.
    expect(decideFailure(facts('UPSTREAM_RESET', { implicatingFailures: 1 }))).toBe('answer');
    expect(decideFailure(facts('UPSTREAM_HEADERS_TIMEOUT', { implicatingFailures: 1 }))).toBe('answer');
    // A refused connect or a coordinator marked down says nothing about the request: replay again.
    expect(decideFailure(facts('UPSTREAM_CONNECT_REFUSED', { implicatingFailures: 1 }))).toBe('replay');
    expect(decideFailure(facts('UPSTREAM_DOWN', { implicatingFailures: 1 }))).toBe('replay');
  });
});

describe('isEvidence', () => {
  it('counts what the coordinator did on a request that has not broken another one', () => {
    expect(isEvidence(error('UPSTREAM_RESET'), 0)).toBe(true);
    expect(isEvidence(error('UPSTREAM_HEADERS_TIMEOUT'), 0)).toBe(true);
    expect(isEvidence(error('UPSTREAM_CONNECT_REFUSED'), 0)).toBe(true);
  });

  it('a request that already broke a coordinator is the suspect, not the next one', () => {
    expect(isEvidence(error('UPSTREAM_RESET'), 1)).toBe(false);
    expect(isEvidence(error('UPSTREAM_PROTOCOL'), 1)).toBe(false);
    expect(isEvidence(error('UPSTREAM_CONNECT_REFUSED'), 1)).toBe(true); // nothing listens there, whatever the request
  });

  it('never counts the proxy’s own decisions, client faults or internal errors', () => {
    for (const code of ['UPSTREAM_DOWN', 'NO_COORDINATOR', 'CLIENT_ABORTED', 'CLIENT_BAD_REQUEST', 'CLIENT_TIMEOUT', 'INTERNAL'] as const) expect(isEvidence(error(code), 0)).toBe(false);
  });
});

describe('answerFor', () => {
  it('a coordinator that failed before answering, with no peer left: 503 NO_COORDINATOR', () => {
    expect(answerFor(error('UPSTREAM_RESET'), false).code).toBe('NO_COORDINATOR');
    expect(answerFor(error('UPSTREAM_DOWN'), false).code).toBe('NO_COORDINATOR');
  });

  it('keeps the error with a peer to re-pin to, and for certificate or protocol failures', () => {
    expect(answerFor(error('UPSTREAM_RESET'), true).code).toBe('UPSTREAM_RESET');
    expect(answerFor(error('UPSTREAM_TLS'), false).code).toBe('UPSTREAM_TLS');
    expect(answerFor(error('UPSTREAM_PROTOCOL'), false).code).toBe('UPSTREAM_PROTOCOL');
    expect(answerFor(error('INTERNAL'), false).code).toBe('INTERNAL');
  });
});
