/** Shared helpers for the workerd tests. */
import { env, exports } from "cloudflare:workers";
import type { EmbedderControl } from "../support/test-embedder";

/** Calls the worker's own fetch handler. */
export function api(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`http://pyrite.test${path}`, init));
}

/** Sends JSON with a method. */
export function send(method: string, path: string, body: unknown): Promise<Response> {
  return api(path, {
    method,
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Creates an entry and returns the parsed response (asserting 201). */
export async function createEntry(body: Record<string, unknown>) {
  const res = await send("POST", "/api/entries", body);
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as {
    entry: { id: string; kb_name: string; content_hash: string };
    embedding: { status: string };
  };
}

/** Switches faults of the Node-side test embedder. */
export async function controlEmbedder(patch: Partial<EmbedderControl>): Promise<void> {
  await env.EMBEDDER?.fetch("http://embedder/__control", {
    method: "POST",
    body: JSON.stringify(patch),
  });
}

/** Back to a healthy hash embedder with zeroed counters. */
export async function resetEmbedder(): Promise<void> {
  await env.EMBEDDER?.fetch("http://embedder/__control/reset", { method: "POST" });
}

/** Every queue row, for assertions. */
export async function queueRows() {
  const { results } = await env.DB.prepare(
    "SELECT kb_name, entry_id, status, attempts, error, next_attempt_at, lease_until, content_hash FROM embed_queue ORDER BY kb_name, entry_id",
  ).all<{
    kb_name: string;
    entry_id: string;
    status: string;
    attempts: number;
    error: string | null;
    next_attempt_at: number;
    lease_until: number | null;
    content_hash: string;
  }>();
  return results;
}
