/**
 * Backpressure from a remote embedder: "too many requests, come back later" (HTTP 429 or 503 with
 * `Retry-After`). It is not a failure of the texts: the worker waits and sends them again, and
 * never counts it as an attempt. Signalled by the one error class, with code `embedder_busy` and
 * the wait in `details.retry_after_ms`.
 */
import { ApiError } from "../errors.js";

/** The code of a backpressure error. */
const BUSY = "embedder_busy";

/** Wait assumed when a busy answer says nothing about when to come back. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/** A backpressure error: the embedder asks to be called again after `retryAfterMs`. */
export function embedderBusy(message: string, retryAfterMs: number): ApiError {
  return new ApiError(503, BUSY, message, { retry_after_ms: Math.max(0, retryAfterMs) });
}

/** The wait a backpressure error asks for, or undefined when `err` is any other failure. */
export function busyRetryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof ApiError) || err.code !== BUSY) return undefined;
  const details = err.details;
  if (typeof details !== "object" || details === null) return DEFAULT_RETRY_AFTER_MS;
  const ms = Reflect.get(details, "retry_after_ms");
  return typeof ms === "number" && Number.isFinite(ms) ? ms : DEFAULT_RETRY_AFTER_MS;
}

/**
 * A `Retry-After` value in ms: delay-seconds (`"2"`, `"0.5"`) or an HTTP date; undefined when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
