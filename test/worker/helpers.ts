/** Shared helpers for the workerd tests. */
import { env } from "cloudflare:workers";
import type { EmbedStatus } from "../../src/shared/api-types";
import type { EmbedderControl } from "../support/test-embedder";

// One way to call the app everywhere: directly, waiting for its `waitUntil` work (see app-fetch.ts
// for why not `exports.default.fetch`, which entries.test.ts still exercises once).
import { appClient, appCreate, appFetch, appSend, BASE_URL } from "./app-fetch";

export { appClient, appCreate as createEntry, appFetch as api, appSend as send, BASE_URL };

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

/** The one EmbedWorker. */
export function worker() {
  return env.EMBED_WORKER.get(env.EMBED_WORKER.idFromName("embedder"));
}

/** Pretends backoff has passed: every pending row is due now. */
export async function makeDue(): Promise<void> {
  await env.DB.prepare("UPDATE embed_queue SET next_attempt_at = 0 WHERE status = 'pending'").run();
}

/** Pretends every lease has expired. */
export async function expireLeases(): Promise<void> {
  await env.DB.prepare("UPDATE embed_queue SET lease_until = 1 WHERE status = 'processing'").run();
}

/** Stats of the Node-side test embedder. */
export async function embedderStats(): Promise<{ calls: number; texts: number; waiting: number }> {
  const res = await env.EMBEDDER?.fetch("http://embedder/__control/stats");
  if (!res) throw new Error("no EMBEDDER binding");
  return res.json();
}

/** Waits until `check` holds (polling; the clock inside workerd only moves on I/O). */
export async function until(check: () => Promise<boolean>, what: string, tries = 500) {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The stored vectors' keys and hashes. */
export async function vectorRows() {
  const { results } = await env.DB.prepare(
    "SELECT kb_name, entry_id, content_hash, model, dims FROM entry_embeddings ORDER BY kb_name, entry_id",
  ).all<{ kb_name: string; entry_id: string; content_hash: string; model: string; dims: number }>();
  return results;
}

/** The status document. */
export async function embedStatus(kb?: string): Promise<EmbedStatus> {
  const res = await appFetch(`/api/index/embed-status${kb ? `?kb=${kb}` : ""}`);
  return res.json();
}
