// Certificate material is read from disk when a context is built (start and SIGHUP), never per request.
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import type { Config } from '../config/schema.ts';

function read(path: string | undefined): Buffer | undefined {
  return path === undefined ? undefined : readFileSync(path);
}

/** Options for the front-end TLS server (HTTPS listener). */
export function frontTlsOptions(tls: NonNullable<Config['tls']>): SecureContextOptions & {
  requestCert: boolean;
  rejectUnauthorized: boolean;
} {
  return {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    ...(tls.keyPassphrase !== undefined && { passphrase: tls.keyPassphrase }),
    ...(tls.clientCaFile !== undefined && { ca: readFileSync(tls.clientCaFile) }),
    minVersion: tls.minVersion,
    requestCert: tls.clientCaFile !== undefined,
    rejectUnauthorized: tls.requireClientCert,
  };
}

export interface UpstreamTlsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly passphrase?: string;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
}

/** Options for connections to coordinators (hs2 pools, web UI agents, health probes): one source. */
export function upstreamTlsOptions(tls: Config['upstream']['tls']): UpstreamTlsOptions {
  return {
    ...(tls.caFile !== undefined && { ca: read(tls.caFile) }),
    ...(tls.certFile !== undefined && { cert: read(tls.certFile) }),
    ...(tls.keyFile !== undefined && { key: read(tls.keyFile) }),
    ...(tls.keyPassphrase !== undefined && { passphrase: tls.keyPassphrase }),
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.servername !== undefined && { servername: tls.servername }),
  };
}
