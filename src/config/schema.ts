// The configuration schema is the single source of truth for option names, types, defaults and the
// TypeScript type of a loaded config. Units are in the key names (…Ms, …Bytes, …Sec). Every option
// and its default is documented once more, for operators, in examples/proxy.yaml.
//
// File paths (certificates, CA files, `{ file: }` secrets) are resolved while validating, against
// the directory of the config file (configSchemaFor(baseDir)), so a config means the same files
// whatever directory the proxy is started from; the loaded Config holds absolute paths.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { hs2Methods } from '../hs2/methods.ts';

const port = z.number().int().min(1).max(65535);
/** 0 asks the OS for a free port (tests, demos). */
const listenPort = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().min(1);
const host = z.string().min(1);

/** A path to a file, resolved against `baseDir` (absolute paths stay as they are). */
function filePath(baseDir: string) {
  return z
    .string()
    .min(1)
    .transform((path) => resolve(baseDir, path));
}

/**
 * A secret is given inline, or as `{ file: PATH }` (content, trimmed) or `{ env: NAME }`.
 * It is resolved while validating, so a missing file or variable is reported with its key path.
 */
function secretIn(baseDir: string) {
  return z
    .union([z.string().min(1), z.strictObject({ file: z.string().min(1) }), z.strictObject({ env: z.string().min(1) })])
    .transform((source, context) => {
      if (typeof source === 'string') return source;
      if ('env' in source) {
        const value = process.env[source.env];
        if (value) return value;
        context.addIssue({ code: 'custom', message: `environment variable ${source.env} is not set or empty` });
        return z.NEVER;
      }
      const file = resolve(baseDir, source.file);
      try {
        const value = readFileSync(file, 'utf8').trim();
        if (value) return value;
        context.addIssue({ code: 'custom', message: `file ${file} is empty` });
      } catch (error) {
        context.addIssue({ code: 'custom', message: `cannot read secret file: ${(error as Error).message}` });
      }
      return z.NEVER;
    });
}

type FilePath = ReturnType<typeof filePath>;
type Secret = ReturnType<typeof secretIn>;

const operatorState = z.enum(['enabled', 'draining', 'disabled']);

const coordinator = z.strictObject({
  /** Stable identity: the affinity cookie is derived from it, so renaming re-pins clients. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1-63 characters of letters, digits, ".", "_" or "-"'),
  host,
  /** impalad --hs2_http_port: hs2-http, what the HTTPS/HTTP listeners forward to. */
  hs2HttpPort: port.default(28000),
  /** impalad --hs2_port: binary HS2 over TCP, for TCP listeners with coordinatorPort hs2Port. */
  hs2Port: port.default(21050),
  /** impalad --beeswax_port: Beeswax, for TCP listeners with coordinatorPort beeswaxPort. */
  beeswaxPort: port.default(21000),
  /** impalad --webserver_port: the web UI (/ui/<n>) and the health checks. */
  webuiPort: port.default(25000),
  weight: z.number().int().min(1).max(1000).default(1),
  state: operatorState.default('enabled'),
  /** Gets new clients only while no primary (non-backup) coordinator is available (active-passive). */
  backup: z.boolean().default(false),
});

const upstreamTls = (file: FilePath, secret: Secret) => z.strictObject({
  caFile: file.optional(),
  certFile: file.optional(),
  keyFile: file.optional(),
  keyPassphrase: secret.optional(),
  rejectUnauthorized: z.boolean().default(true),
  /** SNI and certificate name to expect; default: each coordinator's host. */
  servername: z.string().min(1).optional(),
});

const listener = z.strictObject({ host: host.default('0.0.0.0'), port: listenPort });

/** A TCP front end: binary HS2 (impalad --hs2_port) or Beeswax, balanced at connect (DESIGN §10). */
const tcpListener = z.strictObject({
  /** Names the listener in logs, metrics and the status page. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1-63 characters of letters, digits, ".", "_" or "-"'),
  host: host.default('0.0.0.0'),
  port: listenPort,
  /** Which port of each coordinator connections go to. */
  coordinatorPort: z.enum(['hs2Port', 'beeswaxPort']).default('hs2Port'),
  /** least-connections counts every front end's load (hs2-http sessions too); source-ip keeps a client on one coordinator (Hue). */
  policy: z.enum(['least-connections', 'round-robin', 'source-ip', 'random-two']).default('least-connections'),
  /**
   * none: plain TCP both ways. passthrough: bytes untouched (TLS, if any, ends at the coordinator,
   * whose certificate the client sees). terminate: TLS at the proxy (the `tls` certificate), plain
   * to the coordinator. bridge: TLS at the proxy, re-encrypted to the coordinator and verified
   * (upstream.tls; SNI = its host).
   */
  tls: z.enum(['none', 'passthrough', 'terminate', 'bridge']).default('none'),
  /** TCP (and, for bridge, TLS) connect to a coordinator; a failed connect moves to the next one. */
  connectTimeoutMs: positiveMs.default(5_000),
  /** A client connection with no byte either way for this long is closed (HAProxy `timeout client`). */
  clientIdleTimeoutMs: positiveMs.default(3_600_000),
  /** A coordinator connection with no byte either way for this long is closed (HAProxy `timeout server`). */
  serverIdleTimeoutMs: positiveMs.default(3_600_000),
});

/** pino's levels, and silent. */
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
export const isLogLevel = (text: string): text is LogLevel => (logLevels as readonly string[]).includes(text);

/**
 * OpenSSL cipher list of the front end. Node's default also accepts CBC suites with SHA-1/SHA-2
 * MACs on TLS 1.2 (its list ends in `HIGH`); this one keeps the TLS 1.3 suites and, for TLS 1.2,
 * ECDHE with AES-GCM or ChaCha20-Poly1305 only (Mozilla's "intermediate" profile without DHE).
 * Impala's clients offer these: Python's ssl default context (ECDH+AESGCM first since 2.7.9/3.4),
 * Java 8+ (JDBC), OpenSSL-based ODBC drivers.
 */
export const defaultCiphers = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** One schema per directory: building one takes 2-3 ms, a validation with it a tenth of that or less (Node 24, shared 2-core machine). */
const schemas = new Map<string, ConfigSchema>();

/** The schema, with relative file paths resolved against `baseDir` (an absolute path); built once per directory. */
export function configSchemaFor(baseDir: string): ConfigSchema {
  let schema = schemas.get(baseDir);
  if (schema === undefined) schemas.set(baseDir, (schema = buildConfigSchema(baseDir)));
  return schema;
}

function buildConfigSchema(baseDir: string) {
  return z.strictObject(configShape(filePath(baseDir), secretIn(baseDir)));
}

type ConfigSchema = ReturnType<typeof buildConfigSchema>;

const configShape = (file: FilePath, secret: Secret) => ({
  listen: z
    .strictObject({
      https: listener.extend({ port: listenPort.default(8443) }).nullable().prefault({}),
      http: listener.extend({ port: listenPort.default(8080) }).nullable().default(null),
    })
    .prefault({}),

  /** TCP front ends (binary HS2, Beeswax); none by default. */
  tcp: z.array(tcpListener).default([]),

  /** Front-end TLS (required when listen.https is set, or a TCP listener terminates or bridges TLS). */
  tls: z
    .strictObject({
      certFile: file,
      keyFile: file,
      keyPassphrase: secret.optional(),
      /** Verify client certificates against this CA. */
      clientCaFile: file.optional(),
      requireClientCert: z.boolean().default(false),
      minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
      /** OpenSSL cipher list (TLS 1.3 suites are the TLS_… names); see defaultCiphers. */
      ciphers: z.string().min(1).default(defaultCiphers),
    })
    .optional(),

  coordinators: z.array(coordinator).min(1, 'at least one coordinator is required'),

  upstream: z
    .strictObject({
      /** plain: TLS ends at the proxy. tls: re-encrypt to the coordinators (bridge) and verify them. */
      mode: z.enum(['plain', 'tls']).default('plain'),
      /** Scheme of the coordinators' web UI (/ui/<n>, health checks); default: same as mode. */
      webuiMode: z.enum(['plain', 'tls']).optional(),
      tls: upstreamTls(file, secret).prefault({}),
      /** Keep-alive connections per coordinator; each holds one of impalad's 64 fe_service_threads. */
      connectionsPerCoordinator: z.number().int().min(1).max(64).default(16),
      /**
       * Connections per coordinator for request bodies larger than maxReplayBytes, which are streamed:
       * apart from connectionsPerCoordinator, so slow uploads never take the connections RPCs need.
       */
      streamingConnectionsPerCoordinator: z.number().int().min(1).max(64).default(4),
      keepAliveTimeoutMs: positiveMs.default(30_000),
      connectTimeoutMs: positiveMs.default(5_000),
      /** Time to the response headers of RPCs that can block: ExecuteStatement, FetchResults, metadata calls. */
      headersTimeoutMs: positiveMs.default(600_000),
      /** Time to the response headers of RPCs impalad answers promptly (src/hs2/rpc-limits.ts lists them). */
      promptRpcTimeoutMs: positiveMs.default(60_000),
      /** Per Thrift method, overrides both limits above, e.g. { GetOperationStatus: 120000 }. */
      rpcTimeoutsMs: z
        .record(z.string(), positiveMs)
        .superRefine((limits, ctx) => {
          for (const name of Object.keys(limits)) {
            if (!hs2Methods.has(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'not an hs2 method (names as in the HS2 IDL, e.g. GetOperationStatus)' });
          }
        })
        .default({}),
      /** Longest silence between response body chunks. */
      bodyIdleTimeoutMs: positiveMs.default(600_000),
      /** Request bodies up to this size are kept so a failed request can be replayed to a peer. */
      maxReplayBytes: z.number().int().min(0).max(64 * 1024 * 1024).default(1024 * 1024),
      /** overwrite: impalad trusts the left-most X-Forwarded-For entry, so never pass a client's own. */
      xForwardedFor: z.enum(['overwrite', 'append', 'off']).default('overwrite'),
    })
    .prefault({}),

  cookie: z
    .strictObject({
      name: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a valid cookie name').default('impala.session.id'),
      /** The first signs, all verify (rotation). Without any, a random one is made at start. */
      secrets: z.array(secret).default([]),
      /** Max-Age attribute; null makes a session cookie (kept for the client connection's life). */
      maxAgeSec: z.number().int().min(1).nullable().default(null),
    })
    .prefault({}),

  balancer: z
    .strictObject({
      policy: z.enum(['least-sessions', 'round-robin', 'random-two', 'source-ip']).default('least-sessions'),
    })
    .prefault({}),

  sessions: z
    .strictObject({
      /** Forget a learned session after this long without an RPC (impalad keeps idle sessions 15 min after disconnect). */
      idleTtlMs: positiveMs.default(6 * 3600_000),
      maxEntries: z.number().int().min(1).default(100_000),
    })
    .prefault({}),

  health: z
    .strictObject({
      path: z.string().startsWith('/').default('/healthz'),
      intervalMs: positiveMs.default(2_000),
      timeoutMs: positiveMs.default(1_000),
      rise: z.number().int().min(1).default(2),
      fall: z.number().int().min(1).default(3),
      /** Also read /backends?json and treat a quiescing coordinator as draining. */
      watchQuiescing: z.boolean().default(false),
      basicAuth: z.strictObject({ user: z.string().min(1), password: secret }).optional(),
      /**
       * Also probe the hs2 port itself with a harmless Thrift call (GetInfo, all-zero session
       * handle); any HTTP answer, 401 included, counts as alive. Catches a coordinator whose web UI
       * answers while its hs2 frontend does not. Off by default: with LDAP, impalad logs an error
       * for each credential-less probe (README "Failover").
       */
      hs2Probe: z
        .strictObject({
          enabled: z.boolean().default(false),
          path: z.string().startsWith('/').default('/cliservice'),
        })
        .prefault({}),
      /** Passive checks: this many resets/timeouts within failureWindowMs mark a coordinator down. */
      failureThreshold: z.number().int().min(1).default(5),
      failureWindowMs: positiveMs.default(10_000),
    })
    .prefault({}),

  webui: z
    .strictObject({
      enabled: z.boolean().default(true),
      timeoutMs: positiveMs.default(60_000),
      maxSocketsPerCoordinator: z.number().int().min(1).default(8),
    })
    .prefault({}),

  admin: z
    .strictObject({
      host: host.default('127.0.0.1'),
      port: listenPort.default(9090),
      /** Bearer token for the admin listener; required when it is bound to a non-loopback address. */
      token: secret.optional(),
    })
    .nullable()
    .prefault({}),

  server: z
    .strictObject({
      /** A client connection must finish its TLS handshake within this time, or it is destroyed. */
      tlsHandshakeTimeoutMs: positiveMs.default(10_000),
      /** Slow-client guard: the whole request head must arrive within this time. */
      requestHeaderTimeoutMs: positiveMs.default(10_000),
      /**
       * Slow-upload guard: an hs2 request whose client sends no body byte for this long is answered
       * 408 and its connection closed (time the upstream holds the body back does not count).
       */
      requestBodyIdleTimeoutMs: positiveMs.default(30_000),
      /**
       * Slow-upload guard for bodies streamed past upstream.maxReplayBytes (each holds a connection
       * of its coordinator's streaming pool): after requestBodyIdleTimeoutMs of reading, a body that
       * arrives slower than this is answered 408 (Apache's mod_reqtimeout MinRate). 0: no minimum.
       */
      requestBodyMinBytesPerSec: z.number().int().min(0).default(500),
      /**
       * Longest time a response (hs2, or a streamed /ui one) may wait for the client to take bytes
       * (its socket buffer full): a client that stops reading holds a connection of its
       * coordinator's pool until then.
       */
      responseDrainTimeoutMs: positiveMs.default(60_000),
      /**
       * Idle client keep-alive connections are closed after this long. Hours, not minutes: impalad
       * never closes an idle client connection (unless --idle_session_timeout expires all of its
       * sessions), and impala-shell 4.6+ keeps one connection per shell and prints a BrokenPipe/
       * SSLEOF traceback when it finds it closed. 6 h: Cloudera's Hue guidance for balancers in
       * front of Impala ("at least 6 h"); Impala's HAProxy sample has `timeout client 3600s`.
       */
      keepAliveTimeoutMs: positiveMs.default(6 * 3600_000),
      /** SIGTERM: in-flight requests get this long to finish. */
      shutdownTimeoutMs: positiveMs.default(30_000),
      /**
       * Processes that serve the client listeners (src/cluster/): 1 is one process, no cluster
       * module involved; N > 1 forks N workers under a primary that owns health, operator state,
       * learned sessions and the admin listener; `auto` is one per available core
       * (os.availableParallelism()). Takes effect at the next restart.
       */
      workers: z.union([z.number().int().min(1).max(256), z.literal('auto')], { error: 'must be a whole number from 1 to 256, or "auto"' }).default(1),
    })
    .prefault({}),

  log: z
    .strictObject({
      level: z.enum(logLevels).default('info'),
      /** One access line per request. */
      access: z.boolean().default(true),
    })
    .prefault({}),
});

/**
 * For types and for walking the schema's shape; loading uses configSchemaFor(the config's
 * directory), which hands out this one for the working directory.
 */
export const configSchema = configSchemaFor(process.cwd());

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type CoordinatorConfig = Config['coordinators'][number];
export type OperatorState = z.output<typeof operatorState>;
export type TcpListenerConfig = Config['tcp'][number];
