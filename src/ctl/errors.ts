// What can go wrong talking to the admin API, each with its own exit code so scripts can tell a
// stopped proxy from a wrong token from a typo in a coordinator's name. The codes are in ctlUsage.

export const exitCodes = {
  ok: 0,
  /** An answer the command did not expect (another HTTP status, a body that is not the API's). */
  unexpected: 1,
  /** Bad arguments, or a --config file that does not give an admin address. */
  usage: 2,
  /** Nothing answered at the admin address (refused, unknown host, timed out, reset). */
  unreachable: 3,
  /** 401: no token was given, or not the proxy's admin.token. */
  unauthorized: 4,
  /** 404 for a coordinator: no coordinator with that number or name. */
  noSuchCoordinator: 5,
  /** 409 from POST /admin/reload: the new config was refused; the proxy keeps the running one. */
  reloadRejected: 6,
  /** 501 from POST /admin/reload: that proxy has no config file to re-read. */
  reloadUnavailable: 7,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** One line for stderr and the process exit code. */
export class CtlError extends Error {
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.name = 'CtlError';
    this.exitCode = exitCode;
  }
}

/** Multi-line server messages (config problems) become one line: "a; b; c". */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, '; ');
}
