/**
 * `POST /api/entries/batch` over HTTP, keeping what the import needs from a refusal: the status,
 * the API's error code and its per-item details.
 */
import type { BulkWriteResponse, SendBulk, SendResult } from "./import-kbs.js";

/** A sender for the batch endpoint at `url`, with `headers` (authorization) on every request. */
export function httpSender(url: string, headers: Record<string, string> = {}): SendBulk {
  return async (body) => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (err) {
      return { ok: false, status: 0, code: "unreachable", message: networkReason(err) };
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok && typeof json === "object" && json !== null) {
      return { ok: true, result: json as BulkWriteResponse };
    }
    return refusal(response.status, text, json);
  };
}

function refusal(status: number, text: string, json: unknown): SendResult {
  const error: unknown =
    typeof json === "object" && json !== null ? Reflect.get(json, "error") : undefined;
  if (typeof error === "object" && error !== null) {
    const code: unknown = Reflect.get(error, "code");
    const message: unknown = Reflect.get(error, "message");
    return {
      ok: false,
      status,
      code: typeof code === "string" ? code : "error",
      message: typeof message === "string" ? message : `HTTP ${status}`,
      details: Reflect.get(error, "details"),
    };
  }
  const message = text.trim().slice(0, 200) || `HTTP ${status}`;
  return {
    ok: false,
    status: status >= 200 && status < 300 ? 502 : status,
    code: "error",
    message,
  };
}

function networkReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause: unknown = err.cause;
  const code = typeof cause === "object" && cause !== null ? Reflect.get(cause, "code") : undefined;
  if (typeof code === "string") return `cannot reach the server (${code})`;
  return cause instanceof Error ? cause.message : err.message;
}
