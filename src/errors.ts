/**
 * One error class and one JSON error shape for the whole API:
 * `{"error": {"code", "message", "details"?}}`.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorBody } from "./shared/api-types.js";

/** An error meant for the client: carries its HTTP status and a stable machine-readable code. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toJSON(): ErrorBody {
    const error: ErrorBody["error"] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

/** A 400 listing each problem of a failed validation. */
export function invalidRequest(
  error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] },
  where: string,
): ApiError {
  const issues = error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
  const first = issues[0];
  const summary = first ? `${first.path || where}: ${first.message}` : "invalid request";
  return new ApiError(400, "invalid_request", summary, issues);
}

const codeByStatus: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "too_many_requests",
};

/** Converts anything thrown into an ApiError; unknown errors become an opaque 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const message = /malformed json/i.test(err.message)
      ? "request body is not valid JSON"
      : err.message || "request rejected";
    const code = /malformed json/i.test(err.message)
      ? "malformed_json"
      : (codeByStatus[status] ?? "http_error");
    return new ApiError(status, code, message);
  }
  if (schemaMissing(err)) {
    return new ApiError(
      503,
      "not_ready",
      "the database is not migrated yet (the server is starting); retry shortly",
    );
  }
  return new ApiError(500, "internal_error", "internal error");
}

/**
 * True for D1's "no such table": the local server's socket opens a moment before its migrations
 * are applied, and a request in that moment must get a retryable answer, not an opaque 500 (the
 * statement failed, so nothing changed).
 */
function schemaMissing(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String(err.cause ?? "")}` : "";
  return /no such table/i.test(text);
}

/** Hono `onError` handler: the only place errors become responses. */
export function handleError(err: unknown, c: Context): Response {
  const apiError = toApiError(err);
  if (apiError.code === "not_ready") {
    return c.json(apiError.toJSON(), apiError.status, { "Retry-After": "1" });
  }
  if (apiError.status >= 500) console.error("unhandled error", err);
  return c.json(apiError.toJSON(), apiError.status);
}
