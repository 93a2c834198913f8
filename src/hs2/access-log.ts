// One access line per hs2 request, written from its Outcome and nothing else; and one per TCP
// listener connection when it ends (as HAProxy's tcplog), from its TcpOutcome.
import type { Logger } from '../log.ts';
import type { TcpOutcome } from '../tcp/outcome.ts';
import type { Outcome } from './outcome.ts';

export class AccessLog {
  readonly #logger: Logger;

  /** `logger`: the access logger (createAccessLogger), built once when access lines are on. */
  constructor(logger: Logger) {
    this.#logger = logger;
  }

  write(outcome: Outcome): void {
    const error = outcome.error;
    const attempts = outcome.attempts;
    // The coordinator that answered or, when the proxy answered a failure, the one that failed.
    const coordinator = outcome.servedBy ?? attempts.at(-1)?.coordinator;
    const first = attempts[0];
    const failed = first !== undefined && first.error !== undefined && first.coordinator !== coordinator ? first.coordinator : undefined;
    // One object shape for every line (pino leaves out the undefined fields).
    this.#logger.info({
      rpc: outcome.rpc ?? null,
      coordinator: coordinator ?? null,
      pinned: outcome.pinnedTo !== undefined && outcome.pinnedTo !== coordinator ? outcome.pinnedTo : undefined,
      affinity: outcome.verdict ?? null,
      reason: outcome.repin,
      failed,
      replays: attempts.length > 1 ? attempts.length - 1 : undefined,
      status: outcome.status,
      bytesIn: outcome.bytesIn,
      bytesOut: outcome.bytesOut,
      ms: Math.round(outcome.totalMs * 100) / 100,
      client: outcome.client,
      error: error?.code,
      detail: error?.message,
    });
  }

  writeTcp(outcome: TcpOutcome): void {
    const error = outcome.error;
    const failed = outcome.failedConnects;
    this.#logger.info({
      event: 'tcp',
      listener: outcome.listener,
      coordinator: outcome.coordinator ?? null,
      end: outcome.end,
      failed: failed.length > 0 ? failed.map((failure) => failure.coordinator) : undefined,
      bytesIn: outcome.bytesIn,
      bytesOut: outcome.bytesOut,
      ms: Math.round(outcome.ms),
      client: outcome.client,
      error: error?.code,
      detail: error?.message,
    });
  }
}
