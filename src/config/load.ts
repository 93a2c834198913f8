// Config file (YAML or JSON) → validated, fully defaulted, deep-frozen Config. Every error names
// the key path, e.g. `coordinators[1].hs2Port: Too big: expected number to be <=65535`.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Config, configSchemaFor } from './schema.ts';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`invalid configuration (${source}):\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Reads and validates a config file. Throws ConfigError naming every bad key. */
export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read file: ${(error as Error).message}`]);
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(path, document.errors.map((error) => `YAML: ${error.message.split('\n')[0]}`));
  }
  return validateConfig(document.toJS() ?? {}, path, { baseDir: dirname(resolve(path)) });
}

export interface ValidateOptions {
  /** Relative file paths in the config resolve against this directory; default: the working directory. */
  readonly baseDir?: string;
}

/** Validates a plain object (from a file, a test or the embedded demo). */
export function validateConfig(input: unknown, source = 'config', options: ValidateOptions = {}): Config {
  const result = configSchemaFor(resolve(options.baseDir ?? process.cwd())).safeParse(input);
  if (!result.success) throw new ConfigError(source, result.error.issues.map(formatIssue));
  const problems = checkConsistency(result.data);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return deepFreeze(result.data);
}

function formatIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path) || '(top level)'}: ${issue.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

/** Rules that span keys, which the schema cannot express per field. */
function checkConsistency(config: Config): string[] {
  const problems: string[] = [];
  const names = new Map<string, number>();
  config.coordinators.forEach((coordinator, i) => {
    const earlier = names.get(coordinator.name.toLowerCase());
    if (earlier !== undefined) problems.push(`coordinators[${i}].name: "${coordinator.name}" is already used by coordinators[${earlier}]`);
    else names.set(coordinator.name.toLowerCase(), i);
    // /ui/<n> and /ui/<name> share one namespace: a name that is a number would shadow an index.
    if (/^\d+$/.test(coordinator.name)) problems.push(`coordinators[${i}].name: must not be a plain number (it would clash with /ui/<n>)`);
    // Until 0.2 hs2Port was the hs2-http port: a config of that time says hs2Port: 28000, which is
    // the default hs2HttpPort. Say what changed rather than send binary HS2 to an HTTP port.
    if (coordinator.hs2Port === coordinator.hs2HttpPort) {
      problems.push(`coordinators[${i}].hs2Port: ${coordinator.hs2Port} is also its hs2HttpPort; hs2Port is impalad's --hs2_port (binary HS2, default 21050) and the hs2-http port is hs2HttpPort (--hs2_http_port, default 28000)`);
    }
  });
  if (!config.listen.https && !config.listen.http && config.tcp.length === 0) problems.push('listen: at least one of listen.https, listen.http and tcp is required');
  if (config.listen.https && !config.tls) problems.push('tls: required when listen.https is set (certFile and keyFile)');
  const tcpNames = new Map<string, number>();
  config.tcp.forEach((listener, i) => {
    const earlier = tcpNames.get(listener.name);
    if (earlier !== undefined) problems.push(`tcp[${i}].name: "${listener.name}" is already used by tcp[${earlier}]`);
    else tcpNames.set(listener.name, i);
    if ((listener.tls === 'terminate' || listener.tls === 'bridge') && !config.tls) problems.push(`tcp[${i}].tls: ${listener.tls} needs the proxy's certificate in tls (certFile and keyFile)`);
  });
  if (config.tls?.requireClientCert && !config.tls.clientCaFile) problems.push('tls.clientCaFile: required when tls.requireClientCert is true');
  const upstreamTls = config.upstream.tls;
  if (Boolean(upstreamTls.certFile) !== Boolean(upstreamTls.keyFile)) {
    problems.push(`upstream.tls.${upstreamTls.certFile ? 'keyFile' : 'certFile'}: certFile and keyFile go together (client certificate)`);
  }
  problems.push(...listenerConflicts(config));
  if (config.health.timeoutMs >= config.health.intervalMs) problems.push('health.timeoutMs: must be less than health.intervalMs');
  if (config.admin && !config.admin.token && !isLoopback(config.admin.host)) {
    problems.push(`admin.token: required when the admin listener is bound to a non-loopback address (${config.admin.host})`);
  }
  return problems;
}

/**
 * Two listeners on one port fail at start with EADDRINUSE; found here instead, naming both keys.
 * Two different IP addresses may share a port; a wildcard address (0.0.0.0, ::) or a host name
 * (it may resolve to the other's address) overlaps with anything on the same port. Port 0 asks the
 * OS for a free port and never conflicts.
 */
function listenerConflicts(config: Config): string[] {
  const listeners: { key: string; host: string; port: number }[] = [];
  if (config.listen.https) listeners.push({ key: 'listen.https', ...config.listen.https });
  if (config.listen.http) listeners.push({ key: 'listen.http', ...config.listen.http });
  if (config.admin) listeners.push({ key: 'admin', host: config.admin.host, port: config.admin.port });
  config.tcp.forEach((listener, i) => listeners.push({ key: `tcp[${i}]`, host: listener.host, port: listener.port }));
  const problems: string[] = [];
  listeners.forEach((listener, i) => {
    const earlier = listeners.slice(0, i).find((other) => other.port !== 0 && other.port === listener.port && hostsOverlap(other.host, listener.host));
    if (earlier !== undefined) problems.push(`${listener.key}.port: ${listener.port} is already used by ${earlier.key} (${earlier.host}:${earlier.port})`);
  });
  return problems;
}

function hostsOverlap(a: string, b: string): boolean {
  const isSpecific = (host: string) => isIP(host) !== 0 && host !== '0.0.0.0' && host !== '::';
  return !isSpecific(a) || !isSpecific(b) || a.toLowerCase() === b.toLowerCase();
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
