// How a reload is reported, the same with one process and with workers: one `reload` line with what
// changed, or one `reload-rejected` line with why (the running config keeps serving), and a
// warning for keys that only a restart applies. `ctl reload` prints the same sentence as the log.
import type { ConfigDiff } from './config/diff.ts';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import type { ProxyMetrics } from './metrics/metrics.ts';

export interface ReloadSummary {
  readonly generation: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

function logReloadRejected(logger: Logger, serving: number, error: unknown): void {
  const problems = (error as { problems?: readonly string[] }).problems;
  // A config that does not load lists its problems one a line: in the log line, one line.
  const message = problems !== undefined ? (error as Error).message.replace(/\n\s*/g, '; ') : (error as Error).message;
  logger.error({ event: 'reload-rejected', ...(problems !== undefined ? { problems } : { err: { message: (error as Error).message } }) }, `config reload rejected, still serving generation ${serving}: ${message}`);
}

/** A reload that does not apply (or whose config does not load): counted, and its one line. */
export function rejectReload(metrics: Pick<ProxyMetrics, 'countReload'>, logger: Logger, serving: number, error: unknown): void {
  metrics.countReload('rejected');
  logReloadRejected(logger, serving, error);
}

/**
 * Re-reads the config through `loadConfig` and applies it with `reload`; a config that does not
 * load is rejected (`reject`) like one that does not apply.
 */
export async function reloadFrom(loadConfig: (() => Config) | undefined, reload: (next: Config) => Promise<ReloadSummary>, reject: (error: unknown) => void): Promise<ReloadSummary> {
  if (loadConfig === undefined) throw new Error('no config source to reload from');
  let next: Config;
  try {
    next = loadConfig();
  } catch (error) {
    reject(error);
    throw error;
  }
  return reload(next);
}

export function logNeedsRestart(logger: Logger, diff: ConfigDiff): void {
  if (diff.needsRestart.length === 0) return;
  logger.warn({ event: 'reload-needs-restart', keys: diff.needsRestart }, `config reload: ${diff.needsRestart.join(', ')} changed; these take effect at the next restart`);
}

export function logReloaded(logger: Logger, generation: number, diff: ConfigDiff): ReloadSummary {
  const summary = { generation, added: diff.added, removed: diff.removed, changed: diff.changed };
  logger.info({ event: 'reload', ...summary }, describeReload(summary));
  return summary;
}

/**
 * "config reloaded (generation 2): added c3; changed c1": the `reload` log line, and what `ctl
 * reload` prints from POST /admin/reload's answer (a field the answer lacks counts as empty).
 */
export function describeReload(summary: Partial<ReloadSummary>): string {
  const parts = [
    summary.added?.length ? `added ${summary.added.join(', ')}` : '',
    summary.removed?.length ? `removed ${summary.removed.join(', ')}` : '',
    summary.changed?.length ? `changed ${summary.changed.join(', ')}` : '',
  ].filter((part) => part !== '');
  return `config reloaded (generation ${summary.generation ?? '?'}): ${parts.length > 0 ? parts.join('; ') : 'coordinators unchanged'}`;
}
