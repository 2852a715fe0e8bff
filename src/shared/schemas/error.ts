/**
 * The API's one error shape, `{"error": {"code", "message", "details"?}}`, and the one parser of
 * error bodies that every client (CLI, importer, sync, bench, tests) reads refusals with.
 */
import { z } from "zod";

/** The body of every error response. */
export const errorBodySchema = z
  .object({
    error: z.object({
      /** Stable and machine-readable: `invalid_request`, `not_found`, `precondition_failed`, … */
      code: z.string(),
      message: z.string(),
      /** What exactly was wrong, where the code has more to say (e.g. each invalid field). */
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: "ErrorBody" });

/** The body of every error response. */
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** An error as a client reads it from an answer, whatever the answer held. */
export interface ParsedError {
  code: string;
  message: string;
  details?: unknown;
}

/**
 * Reads an error from a response body (text or already-parsed JSON). An answer that is not the
 * API's error shape (a proxy's HTML page, an empty body) becomes code `unknown` with the start of
 * its text as the message, so a caller always has something to show.
 */
export function parseErrorBody(body: unknown, status?: number): ParsedError {
  let value: unknown = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      // Not JSON: the text itself is the message.
    }
  }
  const parsed = errorBodySchema.safeParse(value);
  if (parsed.success) return parsed.data.error;
  const text = (typeof body === "string" ? body : body == null ? "" : JSON.stringify(body)).trim();
  return {
    code: "unknown",
    message: text.slice(0, 500) || (status === undefined ? "no error body" : `HTTP ${status}`),
  };
}
