import { describe, expect, it } from 'vitest';
import { ProxyError, fromUpstreamError, toHttpStatus, type ErrorCode } from '../../src/errors.ts';

function failure(code: string | undefined, message = 'boom'): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('fromUpstreamError', () => {
  it.each([
    ['ECONNREFUSED', 'UPSTREAM_CONNECT_REFUSED', 502, true],
    ['EHOSTUNREACH', 'UPSTREAM_CONNECT_REFUSED', 502, true],
    ['ENOTFOUND', 'UPSTREAM_CONNECT_REFUSED', 502, true],
    ['EAI_AGAIN', 'UPSTREAM_CONNECT_REFUSED', 502, true],
    ['UND_ERR_CONNECT_TIMEOUT', 'UPSTREAM_CONNECT_TIMEOUT', 504, true],
    ['UND_ERR_HEADERS_TIMEOUT', 'UPSTREAM_HEADERS_TIMEOUT', 504, true],
    ['UND_ERR_BODY_TIMEOUT', 'UPSTREAM_BODY_TIMEOUT', 504, false],
    ['ECONNRESET', 'UPSTREAM_RESET', 502, true],
    ['EPIPE', 'UPSTREAM_RESET', 502, true],
    ['UND_ERR_SOCKET', 'UPSTREAM_RESET', 502, true],
    ['ETIMEDOUT', 'UPSTREAM_RESET', 502, true],
    ['HPE_INVALID_CONSTANT', 'UPSTREAM_PROTOCOL', 502, true],
    ['HPE_UNEXPECTED_CONTENT_LENGTH', 'UPSTREAM_PROTOCOL', 502, true],
    ['UND_ERR_HEADERS_OVERFLOW', 'UPSTREAM_PROTOCOL', 502, true],
    ['UND_ERR_INFO', 'UPSTREAM_PROTOCOL', 502, true],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UPSTREAM_TLS', 502, true],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'UPSTREAM_TLS', 502, true],
    ['CERT_HAS_EXPIRED', 'UPSTREAM_TLS', 502, true],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'UPSTREAM_TLS', 502, true],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'UPSTREAM_TLS', 502, true],
    ['ERR_SSL_SOMETHING_NEW', 'UPSTREAM_TLS', 502, true],
    ['ERR_TLS_HANDSHAKE_TIMEOUT', 'UPSTREAM_TLS', 502, true],
  ] as const)('maps %s to %s (%i, replayable %s)', (code, expected, status, replayable) => {
    const cause = failure(code);
    const error = fromUpstreamError(cause, 'impalad-2');
    expect(error).toBeInstanceOf(ProxyError);
    expect(error.code).toBe(expected);
    expect(error.source).toBe('upstream');
    expect(error.isEvidence).toBe(true);
    expect(error.replayable).toBe(replayable);
    expect(toHttpStatus(error)).toBe(status);
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('impalad-2');
    expect(error.message).toContain('boom');
  });

  it('writes messages naming the coordinator and, for TLS, the code', () => {
    expect(fromUpstreamError(failure('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.2:28000'), 'impalad-1').message).toBe(
      'connect failed to impalad-1: connect ECONNREFUSED 10.0.0.2:28000',
    );
    expect(fromUpstreamError(failure('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), 'impalad-1').message).toBe(
      'TLS handshake with impalad-1 failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE): unable to verify the first certificate',
    );
    expect(fromUpstreamError(failure('EWHATEVER'), 'impalad-1').message).toBe('request to impalad-1 failed inside the proxy (EWHATEVER): boom');
    expect(fromUpstreamError(failure(undefined), 'impalad-1').message).toBe('request to impalad-1 failed inside the proxy: boom');
  });

  it('passes a ProxyError through unchanged (an abort reason we set ourselves)', () => {
    const down = new ProxyError('UPSTREAM_DOWN', 'impalad-1 marked down');
    expect(fromUpstreamError(down, 'impalad-1')).toBe(down);
    const aborted = new ProxyError('CLIENT_ABORTED', 'client went away');
    expect(fromUpstreamError(aborted, 'impalad-1')).toBe(aborted);
  });

  // undici refusing what the proxy built (UND_ERR_INVALID_ARG for an `OPTIONS *` target), a pool
  // closed under a request, an unknown code: the proxy's own failure, never a coordinator's.
  it.each(['UND_ERR_INVALID_ARG', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'UND_ERR_NOT_SUPPORTED', 'EWHATEVER', undefined])('maps %s to INTERNAL: not replayable, not evidence', (code) => {
    const error = fromUpstreamError(failure(code), 'impalad-2');
    expect(error.code).toBe('INTERNAL');
    expect(error.source).toBe('internal');
    expect(error.replayable).toBe(false);
    expect(error.isEvidence).toBe(false);
    expect(toHttpStatus(error)).toBe(500);
  });

  it('copes with non-Error throwables', () => {
    expect(fromUpstreamError(null, 'c').code).toBe('INTERNAL');
    expect(fromUpstreamError('text', 'c').message).toBe('request to c failed inside the proxy: text');
    expect(fromUpstreamError({ code: 'ECONNREFUSED' }, 'c').code).toBe('UPSTREAM_CONNECT_REFUSED');
  });
});

describe('toHttpStatus and ProxyError', () => {
  it.each([
    ['UPSTREAM_CONNECT_REFUSED', 502, 'upstream', true],
    ['UPSTREAM_CONNECT_TIMEOUT', 504, 'upstream', true],
    ['UPSTREAM_TLS', 502, 'upstream', true],
    ['UPSTREAM_RESET', 502, 'upstream', true],
    ['UPSTREAM_HEADERS_TIMEOUT', 504, 'upstream', true],
    ['UPSTREAM_BODY_TIMEOUT', 504, 'upstream', false],
    ['UPSTREAM_DOWN', 502, 'upstream', true],
    ['UPSTREAM_PROTOCOL', 502, 'upstream', true],
    ['NO_COORDINATOR', 503, 'upstream', false],
    ['CLIENT_ABORTED', 499, 'client', false],
    ['CLIENT_BAD_REQUEST', 400, 'client', false],
    ['CLIENT_METHOD_NOT_ALLOWED', 405, 'client', false],
    ['CLIENT_TIMEOUT', 408, 'client', false],
    ['INTERNAL', 500, 'internal', false],
  ] as const satisfies readonly (readonly [ErrorCode, number, string, boolean])[])('%s → %i', (code, status, source, replayable) => {
    const cause = new Error('cause');
    const error = new ProxyError(code, 'message', { cause });
    expect(toHttpStatus(error)).toBe(status);
    expect(error.source).toBe(source);
    expect(error.replayable).toBe(replayable);
    expect(error.name).toBe('ProxyError');
    expect(error.message).toBe('message');
    expect(error.cause).toBe(cause);
  });
});

describe('meansUnavailable', () => {
  // A Record over ErrorCode: a new code does not compile until it has a row here.
  const meansUnavailable: Record<ErrorCode, boolean> = {
    UPSTREAM_CONNECT_REFUSED: true,
    UPSTREAM_CONNECT_TIMEOUT: true,
    UPSTREAM_TLS: false,
    UPSTREAM_RESET: true,
    UPSTREAM_HEADERS_TIMEOUT: true,
    UPSTREAM_BODY_TIMEOUT: false,
    UPSTREAM_DOWN: true,
    UPSTREAM_PROTOCOL: false,
    NO_COORDINATOR: false,
    CLIENT_ABORTED: false,
    CLIENT_BAD_REQUEST: false,
    CLIENT_METHOD_NOT_ALLOWED: false,
    CLIENT_TIMEOUT: false,
    INTERNAL: false,
  };

  it.each(Object.entries(meansUnavailable) as [ErrorCode, boolean][])('%s: %s', (code, expected) => {
    const error = new ProxyError(code, 'message');
    expect(error.meansUnavailable).toBe(expected);
    // Only a failure before the coordinator answered (replayable) can mean it is not there; of
    // those, certificate and protocol failures are misconfigurations (the rule answerFor had).
    expect(error.meansUnavailable).toBe(error.replayable && code !== 'UPSTREAM_TLS' && code !== 'UPSTREAM_PROTOCOL');
  });
});
