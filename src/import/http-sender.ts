/**
 * `POST /api/entries/batch` over HTTP, keeping what the import needs from a refusal: the status,
 * the API's error code and its per-item details.
 */

import type { BulkWriteResult } from "../shared/api-types.js";
import { parseErrorBody } from "../shared/schemas/error.js";
import type { SendBulk, SendResult } from "./import-kbs.js";

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
      return { ok: true, result: json as BulkWriteResult };
    }
    return refusal(response.status, text);
  };
}

function refusal(status: number, text: string): SendResult {
  const error = parseErrorBody(text, status);
  if (error.code !== "unknown") return { ok: false, status, ...error };
  // Not the API's error shape (a proxy's page, or a 2xx that is not JSON): the text says why.
  return {
    ok: false,
    status: status >= 200 && status < 300 ? 502 : status,
    code: "error",
    message: error.message,
  };
}

function networkReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause: unknown = err.cause;
  const code = typeof cause === "object" && cause !== null ? Reflect.get(cause, "code") : undefined;
  if (typeof code === "string") return `cannot reach the server (${code})`;
  return cause instanceof Error ? cause.message : err.message;
}
