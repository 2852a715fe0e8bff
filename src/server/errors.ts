/**
 * Start-up failures the user can fix (port taken, model missing, state directory unusable). The
 * launcher prints their message as ONE line and exits non-zero; anything else is a bug.
 */

/** A start-up failure with a one-line, user-facing message. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

/** The message of anything thrown, on one line. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, " ").trim();
}
