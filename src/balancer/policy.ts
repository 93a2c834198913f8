// A policy picks the coordinator for a new pin from a snapshot of available coordinators. It does
// no I/O and tracks no health: the caller filters by availability, and failover is simply another
// call with the failed coordinator excluded.

/** What a policy may read of a coordinator. */
export interface Candidate {
  readonly name: string;
  readonly weight: number;
  /** Open HS2 sessions learned from OpenSession/CloseSession replies. */
  readonly sessions: number;
  /** OpenSession requests on their way there. */
  readonly pendingOpens: number;
  /** Open (and opening) TCP connections, binary HS2 and Beeswax, of every TCP listener. */
  readonly connections: number;
  readonly inFlight: { readonly size: number };
}

export interface PickContext {
  /** The client's address (source-ip policy). */
  readonly clientIp: string;
}

export interface Policy {
  readonly name: string;
  pick<C extends Candidate>(candidates: readonly C[], context: PickContext): C | undefined;
}
