/** Failures the CLI reports as one line, with the exit code they deserve. */

/** Exit codes: 0 ok, 1 failed operation, 2 usage error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A failure with a user-facing message and an exit code (and the HTTP status, if the API answered). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
    readonly status?: number,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** A usage error (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}
