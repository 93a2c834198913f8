// Bad command-line usage: the CLI prints the message in one line and exits 2, with no stack trace.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A UsageError, or one of node:util parseArgs' errors (unknown option, missing value…). */
export function isUsageError(error: unknown): error is Error {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
