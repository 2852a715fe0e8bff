/**
 * The launcher's own calls to the worker's HTTP API (resume on start, pause and drain on stop),
 * through Miniflare's dispatchFetch: the same routes, auth and validation any client goes through.
 */
import type { Miniflare } from "miniflare";

/** The parts of `GET /api/index/embed-status` the launcher reads. */
export interface LauncherStatus {
  entries: number;
  pending: number;
  processing: number;
  failed: number;
  provider: string | null;
  model: string | null;
  semantic: boolean;
  embed_mode: string;
  worker: { state: string };
}

/** A call the launcher makes; rejects on a non-2xx answer with the API's message. */
export type WorkerApi = <T>(
  method: "GET" | "POST",
  path: string,
  signal?: AbortSignal,
) => Promise<T>;

/** Calls the worker through `mf`, presenting `token` when the API requires one. */
export function workerApi(mf: Miniflare, token: string | undefined): WorkerApi {
  return async <T>(method: "GET" | "POST", path: string, signal?: AbortSignal): Promise<T> => {
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await mf.dispatchFetch(`http://localhost${path}`, { method, headers, signal });
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        const body: unknown = JSON.parse(text);
        if (typeof body === "object" && body !== null && "error" in body) {
          const error: unknown = body.error;
          if (typeof error === "object" && error !== null && "message" in error) {
            message = String(error.message);
          }
        }
      } catch {
        // Not JSON: the raw text is the best message there is.
      }
      throw new Error(`${method} ${path}: ${response.status} ${message}`);
    }
    return JSON.parse(text) as T;
  };
}
