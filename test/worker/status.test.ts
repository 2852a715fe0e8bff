import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { appFetch, appSend } from "./app-fetch";
import {
  controlEmbedder,
  createEntry,
  embedStatus,
  makeDue,
  resetEmbedder,
  send,
  vectorRows,
  worker,
} from "./helpers";

function reconciles(s: Awaited<ReturnType<typeof embedStatus>>) {
  expect(s.entries).toBe(s.embedded + s.pending + s.processing + s.failed + s.missing);
}

describe("GET /api/index/embed-status", () => {
  it("counts every state and always reconciles", async () => {
    await resetEmbedder();
    const empty = await embedStatus("mix");
    expect(empty).toMatchObject({ entries: 0, embedded: 0, pending: 0, missing: 0 });
    reconciles(empty);

    for (const title of ["Alpha", "Beta", "Gamma", "Delta"])
      await createEntry({ kb: "mix", title });
    let s = await embedStatus("mix");
    expect(s).toMatchObject({ entries: 4, pending: 4, embedded: 0 });
    expect(s.oldest_pending_age_ms).toBeGreaterThanOrEqual(0);
    reconciles(s);

    await controlEmbedder({ failTexts: ["Delta"] });
    for (let i = 0; i < 3; i++) {
      await makeDue();
      await runDurableObjectAlarm(worker());
    }
    s = await embedStatus("mix");
    expect(s).toMatchObject({ entries: 4, embedded: 3, failed: 1, pending: 0, processing: 0 });
    expect(s.last_error).toMatchObject({ kb_name: "mix", entry_id: "delta" });
    expect(s.worker).toMatchObject({ state: "idle", batch_size: 10, max_attempts: 3 });
    expect(s.throughput_last_minute).toBeGreaterThanOrEqual(3);
    expect(s.semantic).toBe(false);
    expect(s.provider).toBe("hash");
    reconciles(s);
    // Without a Vectorize binding the isolate's index serves: it catches up before every query,
    // so every committed passage is searchable, and nothing is pending.
    const passages = await env.DB.prepare("SELECT count(*) AS n FROM entry_passages").first<{
      n: number;
    }>();
    expect(s.vector_store).toEqual({
      store: "isolate",
      embedded: passages?.n,
      searchable: passages?.n,
      pending: false,
      pending_mutation: null,
    });

    // An edit makes the vector stale until it is re-embedded.
    await controlEmbedder({ failTexts: [] });
    const res = await send("PATCH", "/api/entries/alpha?kb=mix", { body: "changed" });
    expect(res.status).toBe(200);
    s = await embedStatus("mix");
    expect(s).toMatchObject({ embedded: 2, pending: 1, stale: 1 });
    reconciles(s);
  });

  it("vectors of another model are stale; index embed re-embeds them with the active model", async () => {
    await resetEmbedder();
    await createEntry({ kb: "models", title: "Old model entry", body: "some words" });
    await createEntry({ kb: "models", title: "Second", body: "more words" });
    await runDurableObjectAlarm(worker());
    expect(await embedStatus("models")).toMatchObject({ embedded: 2, stale: 0 });

    // The embedder now serves the generated transformer model (the real transformers.js path).
    await controlEmbedder({ backing: "transformers" });
    const fresh = { ...env, EMBED_MODE: "sync" }; // a new env: the model is asked afresh
    const call = async (method: string, path: string, body?: unknown) => {
      const res =
        body === undefined
          ? await appFetch(path, { method }, fresh)
          : await appSend(method, path, body, fresh);
      return res.json() as Promise<Record<string, unknown>>;
    };
    const before = await call("GET", "/api/index/embed-status?kb=models");
    // A transformer model is active; the generated one admits its similarities mean nothing.
    expect(before).toMatchObject({
      entries: 2,
      embedded: 0,
      stale: 2,
      missing: 2,
      semantic: false,
    });
    expect(before.provider).toBe("transformers");

    const run = await call("POST", "/api/index/embed", { kb: "models" });
    expect(run).toMatchObject({ queued: 2, batch: { embedded: 2 } });
    const after = await call("GET", "/api/index/embed-status?kb=models");
    expect(after).toMatchObject({ entries: 2, embedded: 2, stale: 0, missing: 0 });
    const vectors = (await vectorRows()).filter((v) => v.kb_name === "models");
    expect(vectors.every((v) => v.model === after.model && v.dims === 32)).toBe(true);

    // force re-queues even current vectors.
    const forced = await call("POST", "/api/index/embed", { kb: "models", force: true });
    expect(forced).toMatchObject({ queued: 2 });
    await resetEmbedder();
  });
});

describe("status_counts (kept by triggers)", () => {
  it("always equals a recount of the tables, through every kind of write", async () => {
    await resetEmbedder();
    const recount = async () => {
      const { results } = await env.DB.prepare(`
        SELECT kb_name, 'entries' AS metric, '' AS model, count(*) AS n, 0 AS truncated
          FROM entries GROUP BY kb_name
        UNION ALL
        SELECT kb_name, 'queue:' || status, coalesce(model, ''), count(*), 0
          FROM embed_queue GROUP BY kb_name, status, coalesce(model, '')
        UNION ALL
        SELECT kb_name, 'vectors', model, count(*), sum(truncated)
          FROM entry_embeddings GROUP BY kb_name, model
        UNION ALL
        SELECT kb_name, 'passages', model, count(*), 0
          FROM entry_passages GROUP BY kb_name, model
        ORDER BY 1, 2, 3`).all();
      return results;
    };
    const kept = async () => {
      const { results } = await env.DB.prepare(
        "SELECT kb_name, metric, model, n, truncated FROM status_counts WHERE n <> 0 ORDER BY 1, 2, 3",
      ).all();
      return results;
    };
    for (const title of ["One", "Two", "Three"]) await createEntry({ kb: "counted", title });
    expect(await kept()).toEqual(await recount());
    await runDurableObjectAlarm(worker());
    expect(await kept()).toEqual(await recount());
    await send("PATCH", "/api/entries/one?kb=counted", { body: "changed" });
    await send("PATCH", "/api/entries/two?kb=counted", { importance: 3 });
    await appFetch("/api/entries/three?kb=counted", { method: "DELETE" });
    expect(await kept()).toEqual(await recount());
    await runDurableObjectAlarm(worker());
    await appSend("POST", "/api/index/embed", { kb: "counted", force: true });
    expect(await kept()).toEqual(await recount());
  });
});
