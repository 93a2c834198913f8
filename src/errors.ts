// Every failure the proxy reports has a stable code, a source and a retry verdict; toHttpStatus()
// is the one place that maps failures to HTTP statuses. Nothing branches on message text.

export type ErrorSource = 'client' | 'upstream' | 'internal';

interface ErrorKind {
  readonly source: ErrorSource;
  readonly status: number;
  /** Safe to send to a peer: the coordinator cannot have started work on it. */
  readonly replayable: boolean;
}

const kinds = {
  UPSTREAM_CONNECT_REFUSED: { source: 'upstream', status: 502, replayable: true },
  UPSTREAM_CONNECT_TIMEOUT: { source: 'upstream', status: 504, replayable: true },
  UPSTREAM_TLS: { source: 'upstream', status: 502, replayable: true },
  UPSTREAM_RESET: { source: 'upstream', status: 502, replayable: true },
  UPSTREAM_HEADERS_TIMEOUT: { source: 'upstream', status: 504, replayable: true },
  UPSTREAM_BODY_TIMEOUT: { source: 'upstream', status: 504, replayable: false },
  UPSTREAM_DOWN: { source: 'upstream', status: 502, replayable: true },
  UPSTREAM_PROTOCOL: { source: 'upstream', status: 502, replayable: true },
  NO_COORDINATOR: { source: 'upstream', status: 503, replayable: false },
  CLIENT_ABORTED: { source: 'client', status: 499, replayable: false },
  CLIENT_BAD_REQUEST: { source: 'client', status: 400, replayable: false },
  CLIENT_METHOD_NOT_ALLOWED: { source: 'client', status: 405, replayable: false },
  CLIENT_TIMEOUT: { source: 'client', status: 408, replayable: false },
  INTERNAL: { source: 'internal', status: 500, replayable: false },
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof kinds;

export class ProxyError extends Error {
  readonly code: ErrorCode;
  readonly source: ErrorSource;
  readonly replayable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyError';
    this.code = code;
    this.source = kinds[code].source;
    this.replayable = kinds[code].replayable;
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

/** Classifies an error from undici or the socket layer into a ProxyError (once, where it is caught). */
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
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return new ProxyError('UPSTREAM_RESET', `connection lost to ${detail}`, { cause: error });
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_STATUS':
    case 'UND_ERR_INFO':
      return new ProxyError('UPSTREAM_PROTOCOL', `invalid HTTP from ${detail}`, { cause: error });
    default:
      if (tlsCodes.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
        return new ProxyError('UPSTREAM_TLS', `TLS handshake with ${coordinatorName} failed (${code}): ${reason}`, { cause: error });
      }
      return new ProxyError('UPSTREAM_RESET', `request to ${coordinatorName} failed${code ? ` (${code})` : ''}: ${reason}`, { cause: error });
  }
}
