// TLS material (certificates, keys, CA bundles) is read and validated when a config is loaded
// (start, --check-config, SIGHUP), never per request. Reading is not enough: an invalid PEM or a
// key that does not match its certificate used to surface only when the secure context was built,
// after a reload had already swapped the new generation in (issue 10 item 6). So every
// certificate is parsed, every key is decrypted and matched, and the secure context is built once
// here; every problem is a TlsFileError that names the config key.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { Config } from '../config/schema.ts';

export class TlsFileError extends Error {
  readonly code = 'CONFIG_TLS';
  /** The config key at fault, e.g. `tls.keyFile`. */
  readonly key: string;

  constructor(key: string, problem: string, options?: ErrorOptions) {
    super(`${key}: ${problem}`, options);
    this.name = 'TlsFileError';
    this.key = key;
  }
}

export type FrontTlsOptions = SecureContextOptions & {
  requestCert: boolean;
  rejectUnauthorized: boolean;
};

/**
 * Options for the front-end TLS server (HTTPS listener), validated: a secure context built from
 * them cannot fail, so `server.setSecureContext()` with them cannot throw after a swap.
 */
export function frontTlsOptions(tls: NonNullable<Config['tls']>): FrontTlsOptions {
  const { cert, key } = readKeyPair('tls', tls.certFile, tls.keyFile, tls.keyPassphrase);
  try {
    createSecureContext({ ciphers: tls.ciphers });
  } catch (error) {
    throw new TlsFileError('tls.ciphers', `not a usable OpenSSL cipher list: ${(error as Error).message}`, { cause: error });
  }
  const options: FrontTlsOptions = {
    cert,
    key,
    ...(tls.keyPassphrase !== undefined && { passphrase: tls.keyPassphrase }),
    ...(tls.clientCaFile !== undefined && { ca: readCertificates('tls.clientCaFile', tls.clientCaFile) }),
    minVersion: tls.minVersion,
    ciphers: tls.ciphers,
    requestCert: tls.clientCaFile !== undefined,
    rejectUnauthorized: tls.requireClientCert,
  };
  buildContext('tls', options);
  return options;
}

export interface UpstreamTlsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly passphrase?: string;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
  /**
   * The context built from the fields above, once per generation: tls.connect uses it instead of
   * building one per connection, which cost 0.55 ms with the dev CA and 44 ms with the system root
   * bundle (144 certificates; 200 loopback connects took 61-64 ms each without it, 6-11 ms with).
   * It lives in this process only: a SecureContext cannot be sent to a worker (workers get the
   * Config and build their own generation).
   */
  readonly secureContext: SecureContext;
}

/** Options for connections to coordinators (hs2 pools, web UI agents, health probes, TCP bridge): one source, validated. */
export function upstreamTlsOptions(tls: Config['upstream']['tls']): UpstreamTlsOptions {
  // The schema makes certFile and keyFile go together.
  const pair = tls.certFile !== undefined && tls.keyFile !== undefined ? readKeyPair('upstream.tls', tls.certFile, tls.keyFile, tls.keyPassphrase) : undefined;
  const options = {
    ...(tls.caFile !== undefined && { ca: readCertificates('upstream.tls.caFile', tls.caFile) }),
    ...pair,
    ...(pair !== undefined && tls.keyPassphrase !== undefined && { passphrase: tls.keyPassphrase }),
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.servername !== undefined && { servername: tls.servername }),
  };
  return { ...options, secureContext: buildContext('upstream.tls', options) };
}

/**
 * tls.connect options for one coordinator: verification on unless upstream.tls turns it off, and
 * SNI = the coordinator's host when upstream.tls.servername does not say otherwise. SNI must be a
 * host name (RFC 6066 §3): Node warns (DEP0123) on an IP address, and decides what one is with
 * net.isIP, as here.
 */
export function tlsConnectOptions(tls: UpstreamTlsOptions | undefined, host: string): Partial<UpstreamTlsOptions> & { rejectUnauthorized: boolean } {
  return {
    ...tls,
    rejectUnauthorized: tls?.rejectUnauthorized ?? true,
    ...(tls?.servername === undefined && isIP(host) === 0 && { servername: host }),
  };
}

/** Every TLS problem of a config that start-up would trip on, as `key: problem` lines (--check-config). */
export function tlsProblems(config: Config): string[] {
  const problems: string[] = [];
  const check = (load: () => unknown) => {
    try {
      load();
    } catch (error) {
      if (!(error instanceof TlsFileError)) throw error;
      problems.push(error.message);
    }
  };
  if (needsFrontTls(config)) check(() => frontTlsOptions(config.tls!));
  if (needsUpstreamTls(config)) check(() => upstreamTlsOptions(config.upstream.tls));
  return problems;
}

/**
 * Whether the config uses the proxy's own certificate (`tls`): the HTTPS listener, and TCP
 * listeners that terminate or bridge. The one test that a start (generation.ts) and --check-config
 * (tlsProblems) share, so that they read the same files. The schema makes `tls` present then.
 */
export function needsFrontTls(config: Config): config is Config & { tls: NonNullable<Config['tls']> } {
  return config.tls !== undefined && (config.listen.https !== null || config.tcp.some((listener) => listener.tls === 'terminate' || listener.tls === 'bridge'));
}

/**
 * Whether anything connects to coordinators over TLS, hence reads upstream.tls: the hs2 pools and
 * hs2 probes (upstream.mode), the web UI proxy and web UI probes (upstream.webuiMode, defaulting to
 * upstream.mode), and TCP listeners in bridge mode, whatever upstream.mode says.
 */
export function needsUpstreamTls(config: Config): boolean {
  const { mode, webuiMode } = config.upstream;
  return mode === 'tls' || webuiMode === 'tls' || config.tcp.some((listener) => listener.tls === 'bridge');
}

function readFile(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new TlsFileError(key, `cannot read ${path}: ${why}`, { cause: error });
  }
}

/** Base64 never contains "-", so a block ends at the first END line. */
const pemCertificate = /-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g;

/**
 * A PEM file of certificates (a chain, leaf first, or a CA bundle), each parsed. OpenSSL itself
 * skips what it cannot parse in a CA bundle, so a garbage CA file would only show as failed
 * verifications at connect time.
 */
function readCertificates(key: string, path: string): Buffer {
  const pem = readFile(key, path);
  parseCertificates(key, path, pem);
  return pem;
}

function parseCertificates(key: string, path: string, pem: Buffer): X509Certificate[] {
  const blocks = pem.toString('latin1').match(pemCertificate) ?? [];
  if (blocks.length === 0) throw new TlsFileError(key, `no PEM certificate in ${path}`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new TlsFileError(key, `certificate ${i + 1} in ${path} does not parse (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
    }
  });
}

const encryptedPem = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

function readKeyPair(prefix: string, certPath: string, keyPath: string, passphrase: string | undefined): { cert: Buffer; key: Buffer } {
  const cert = readFile(`${prefix}.certFile`, certPath);
  const key = readFile(`${prefix}.keyFile`, keyPath);
  const [leaf] = parseCertificates(`${prefix}.certFile`, certPath, cert);
  const privateKey = parseKey(prefix, keyPath, key, passphrase);
  if (!leaf!.checkPrivateKey(privateKey)) {
    throw new TlsFileError(`${prefix}.keyFile`, `key does not match ${prefix}.certFile (${keyPath} is not the key of the first certificate in ${certPath})`);
  }
  return { cert, key };
}

function parseKey(prefix: string, path: string, pem: Buffer, passphrase: string | undefined): KeyObject {
  try {
    return createPrivateKey(passphrase === undefined ? pem : { key: pem, passphrase });
  } catch (error) {
    // Whether the passphrase is to blame is read from the PEM header, not from OpenSSL's message.
    if (encryptedPem.test(pem.toString('latin1'))) {
      const problem = passphrase === undefined ? `${path} (${prefix}.keyFile) is encrypted: a passphrase is required` : `wrong passphrase for ${path} (${prefix}.keyFile)`;
      throw new TlsFileError(`${prefix}.keyPassphrase`, problem, { cause: error });
    }
    throw new TlsFileError(`${prefix}.keyFile`, `no usable private key in ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
}

/** The last word: what OpenSSL itself says when it builds the context from these options. */
function buildContext(prefix: string, options: SecureContextOptions): SecureContext {
  try {
    return createSecureContext(options);
  } catch (error) {
    throw new TlsFileError(prefix, `cannot build the TLS context: ${(error as Error).message}`, { cause: error });
  }
}
