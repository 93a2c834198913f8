// Every failure the proxy reports has a stable code, a source and a retry verdict; toHttpStatus()
// is the one place that maps failures to HTTP statuses. Nothing branches on message text.

export type ErrorSource = 'client' | 'upstream' | 'internal';

interface ErrorKind {
  readonly source: ErrorSource;
  readonly status: number;
  /** Safe to send to a peer: the coordinator cannot have started work on it. */
  readonly replayable: boolean;
  /**
   * Says something about the coordinator's health (passive checks). Only what the coordinator
   * did counts: not what a client sent, not the proxy's own decisions (UPSTREAM_DOWN is the
   * consequence of a health transition, not new evidence) and not the proxy's own bugs.
   */
  readonly isEvidence: boolean;
  /**
   * The request reached the coordinator and the exchange broke: the request itself may be the
   * cause (a malformed body that makes impalad reset the connection). Not so for a refused or
   * timed-out connect, a failed TLS handshake, or the proxy's own failover.
   */
  readonly implicatesRequest: boolean;
  /**
   * With no peer left to try, the client is told that no coordinator is available (503 +
   * Retry-After, DESIGN §4; impyla and impala-shell honour it) instead of this error: the
   * coordinator failed before it answered. Never for a certificate or protocol failure: that is a
   * misconfiguration, answered as itself (a 502 that names the cause). Implies `replayable`.
   */
  readonly meansUnavailable: boolean;
}

const kinds = {
  UPSTREAM_CONNECT_REFUSED: { source: 'upstream', status: 502, replayable: true, isEvidence: true, implicatesRequest: false, meansUnavailable: true },
  UPSTREAM_CONNECT_TIMEOUT: { source: 'upstream', status: 504, replayable: true, isEvidence: true, implicatesRequest: false, meansUnavailable: true },
  UPSTREAM_TLS: { source: 'upstream', status: 502, replayable: true, isEvidence: true, implicatesRequest: false, meansUnavailable: false },
  UPSTREAM_RESET: { source: 'upstream', status: 502, replayable: true, isEvidence: true, implicatesRequest: true, meansUnavailable: true },
  UPSTREAM_HEADERS_TIMEOUT: { source: 'upstream', status: 504, replayable: true, isEvidence: true, implicatesRequest: true, meansUnavailable: true },
  UPSTREAM_BODY_TIMEOUT: { source: 'upstream', status: 504, replayable: false, isEvidence: true, implicatesRequest: true, meansUnavailable: false },
  UPSTREAM_DOWN: { source: 'upstream', status: 502, replayable: true, isEvidence: false, implicatesRequest: false, meansUnavailable: true },
  UPSTREAM_PROTOCOL: { source: 'upstream', status: 502, replayable: true, isEvidence: true, implicatesRequest: true, meansUnavailable: false },
  NO_COORDINATOR: { source: 'upstream', status: 503, replayable: false, isEvidence: false, implicatesRequest: false, meansUnavailable: false },
  CLIENT_ABORTED: { source: 'client', status: 499, replayable: false, isEvidence: false, implicatesRequest: false, meansUnavailable: false },
  CLIENT_BAD_REQUEST: { source: 'client', status: 400, replayable: false, isEvidence: false, implicatesRequest: false, meansUnavailable: false },
  CLIENT_METHOD_NOT_ALLOWED: { source: 'client', status: 405, replayable: false, isEvidence: false, implicatesRequest: false, meansUnavailable: false },
  CLIENT_TIMEOUT: { source: 'client', status: 408, replayable: false, isEvidence: false, implicatesRequest: false, meansUnavailable: false },
  INTERNAL: { source: 'internal', status: 500, replayable: false, isEvidence: false, implicatesRequest: false, meansUnavailable: false },
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof kinds;

export class ProxyError extends Error {
  readonly code: ErrorCode;
  readonly source: ErrorSource;
  readonly replayable: boolean;
  readonly isEvidence: boolean;
  readonly implicatesRequest: boolean;
  readonly meansUnavailable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyError';
    this.code = code;
    this.source = kinds[code].source;
    this.replayable = kinds[code].replayable;
    this.isEvidence = kinds[code].isEvidence;
    this.implicatesRequest = kinds[code].implicatesRequest;
    this.meansUnavailable = kinds[code].meansUnavailable;
  }
}

export function toHttpStatus(error: ProxyError): number {
  return kinds[error.code].status;
}

// Codes Node's TLS layer reports for certificates it will not trust (openssl verify errors).
const tlsCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
]);

/**
 * Classifies an error from undici or the socket layer into a ProxyError (once, where it is caught).
 * Only what is known to come from the network maps to an upstream kind; anything else (undici
 * refusing arguments the proxy built, a destroyed pool, a bug) is INTERNAL, so that the proxy never
 * blames a coordinator, nor replays a request, for its own failure (STYLE rule 12).
 */
export function fromUpstreamError(error: unknown, coordinatorName: string): ProxyError {
  if (error instanceof ProxyError) return error;
  const code = (error as { code?: string } | null)?.code ?? '';
  const reason = (error as Error)?.message ?? String(error);
  const detail = `${coordinatorName}: ${reason}`;
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ProxyError('UPSTREAM_CONNECT_REFUSED', `connect failed to ${detail}`, { cause: error });
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new ProxyError('UPSTREAM_CONNECT_TIMEOUT', `connect timed out to ${detail}`, { cause: error });
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new ProxyError('UPSTREAM_HEADERS_TIMEOUT', `no response headers in time from ${detail}`, { cause: error });
    case 'UND_ERR_BODY_TIMEOUT':
      return new ProxyError('UPSTREAM_BODY_TIMEOUT', `response body stalled from ${detail}`, { cause: error });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ETIMEDOUT':
    case 'ECONNABORTED':
    case 'ENETDOWN':
    case 'ENETRESET':
    case 'UND_ERR_SOCKET':
      return new ProxyError('UPSTREAM_RESET', `connection lost to ${detail}`, { cause: error });
    case 'UND_ERR_INFO':
    case 'UND_ERR_HEADERS_OVERFLOW':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return new ProxyError('UPSTREAM_PROTOCOL', `invalid HTTP from ${detail}`, { cause: error });
    default:
      if (code.startsWith('HPE_')) return new ProxyError('UPSTREAM_PROTOCOL', `invalid HTTP from ${detail}`, { cause: error });
      if (tlsCodes.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
        return new ProxyError('UPSTREAM_TLS', `TLS handshake with ${coordinatorName} failed (${code}): ${reason}`, { cause: error });
      }
      return new ProxyError('INTERNAL', `request to ${coordinatorName} failed inside the proxy${code ? ` (${code})` : ''}: ${reason}`, { cause: error });
  }
}
