// What a reload changes, as a pure comparison of two validated configs.
import type { Config, CoordinatorConfig } from './schema.ts';

export interface ConfigDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Still configured, with other settings (address, weight, state, backup…). */
  readonly changed: readonly string[];
  /** Still configured under the same name, at another address: what was known of the old one is void. */
  readonly retargeted: readonly string[];
  /** Keys that only take effect at the next restart (listen addresses, the session map, logging). */
  readonly needsRestart: readonly string[];
}

export function diffConfigs(old: Config, next: Config): ConfigDiff {
  const before = new Map(old.coordinators.map((c) => [c.name, c]));
  const after = new Map(next.coordinators.map((c) => [c.name, c]));
  const added: string[] = [];
  const changed: string[] = [];
  const retargeted: string[] = [];
  for (const [name, coordinator] of after) {
    const previous = before.get(name);
    if (previous === undefined) added.push(name);
    else {
      if (!same(previous, coordinator)) changed.push(name);
      if (targetOf(previous, old) !== targetOf(coordinator, next)) retargeted.push(name);
    }
  }
  const removed = [...before.keys()].filter((name) => !after.has(name));
  return { added, removed, changed, retargeted, needsRestart: restartKeys(old, next) };
}

/** Where the coordinator is reached: a change makes it another server as far as health goes. */
function targetOf(coordinator: CoordinatorConfig, config: Config): string {
  return `${config.upstream.mode}|${config.upstream.webuiMode ?? ''}|${coordinator.host}|${coordinator.hs2HttpPort}|${coordinator.hs2Port}|${coordinator.beeswaxPort}|${coordinator.webuiPort}`;
}

function restartKeys(old: Config, next: Config): string[] {
  const keys: string[] = [];
  if (!same(old.listen, next.listen)) keys.push('listen');
  if (!same(old.admin && { host: old.admin.host, port: old.admin.port }, next.admin && { host: next.admin.host, port: next.admin.port })) keys.push('admin.host/port');
  if (!same(old.sessions, next.sessions)) keys.push('sessions');
  // Worker processes are forked at start (src/cluster/).
  if (old.server.workers !== next.server.workers) keys.push('server.workers');
  // Node's tls.Server reads handshakeTimeout once, at construction.
  if (old.server.tlsHandshakeTimeoutMs !== next.server.tlsHandshakeTimeoutMs) keys.push('server.tlsHandshakeTimeoutMs');
  // TCP listeners are bound at start; their policies and timeouts apply on reload.
  if (!same(old.tcp.map(({ name, host, port, tls }) => ({ name, host, port, tls })), next.tcp.map(({ name, host, port, tls }) => ({ name, host, port, tls })))) keys.push('tcp listeners (name, host, port, tls)');
  if (Boolean(old.tls?.clientCaFile) !== Boolean(next.tls?.clientCaFile) || old.tls?.requireClientCert !== next.tls?.requireClientCert) keys.push('tls client certificate verification');
  if (old.log.access !== next.log.access || old.log.level !== next.log.level) keys.push('log');
  return keys;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
