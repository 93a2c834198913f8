// The end of every TCP listener connection, as one record: the log line and the metrics read it.
import type { ProxyError } from '../errors.ts';

/** Why a connection ended, for the log line and the metrics. */
export type TcpEnd =
  | 'client-closed'
  | 'coordinator-closed'
  | 'client-idle'
  | 'coordinator-idle'
  | 'client-error'
  | 'coordinator-error'
  | 'coordinator-down'
  | 'disabled'
  | 'no-coordinator'
  | 'connect-failed'
  | 'shutdown';

export interface TcpOutcome {
  readonly listener: string;
  readonly client: string;
  /** The coordinator that carried the connection; undefined when none accepted it. */
  readonly coordinator: string | undefined;
  readonly end: TcpEnd;
  readonly ms: number;
  /** Client → coordinator. */
  readonly bytesIn: number;
  /** Coordinator → client. */
  readonly bytesOut: number;
  /** Connects that failed before one succeeded (or before giving up), with the coordinator of each. */
  readonly failedConnects: readonly { readonly coordinator: string; readonly code: string }[];
  /** The end's own cause (connect-failed: the last connect's); earlier failed connects are only in failedConnects. */
  readonly error: ProxyError | undefined;
}
