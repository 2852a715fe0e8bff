import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { EntryWriteResult } from "../../src/shared/api-types";
import {
  api,
  controlEmbedder,
  createEntry,
  embedderStats,
  queueRows,
  resetEmbedder,
  send,
  until,
  vectorRows,
  worker,
} from "./helpers";

beforeEach(resetEmbedder);

async function release() {
  await env.EMBEDDER?.fetch("http://embedder/__control/release", { method: "POST" });
}

/** Starts the loop with the embedder holding the batch, and waits until it is held. */
async function holdBatch() {
  await controlEmbedder({ block: true });
  const running = runDurableObjectAlarm(worker());
  await until(async () => (await embedderStats()).waiting > 0, "the batch to reach the embedder");
  // Wrapped: returning the bare promise from an async function would make callers await it.
  return { running };
}

describe("writes that race the worker", () => {
  it("an update during processing wins: the stale result is dropped, the final text embedded", async () => {
    const created = await createEntry({ kb: "upd", title: "Draft", body: "first version" });
    const { running } = await holdBatch();
    const res = await send("PATCH", "/api/entries/draft?kb=upd", { body: "second version" });
    expect(res.status).toBe(200);
    const updated = await res.json<EntryWriteResult>();
    expect(updated.embedding.status).toBe("queued");
    expect(updated.entry.content_hash).not.toBe(created.entry.content_hash);

    await release();
    await running;
    // The loop embedded both versions; the first one's result was dropped as stale, and the
    // row went back to pending for the second, which the same loop then embedded.
    expect((await embedderStats()).texts).toBe(2);
    const [vector] = (await vectorRows()).filter((v) => v.kb_name === "upd");
    expect(vector?.content_hash).toBe(updated.entry.content_hash);
    expect((await queueRows()).find((r) => r.kb_name === "upd")?.status).toBe("done");
  });

  it("a delete during processing drops the result: no vector, no queue row", async () => {
    await createEntry({ kb: "del", title: "Ephemeral" });
    const { running } = await holdBatch();
    const res = await api("/api/entries/ephemeral?kb=del", { method: "DELETE" });
    expect(res.status).toBe(200);
    await release();
    await running;
    expect((await vectorRows()).filter((v) => v.kb_name === "del")).toHaveLength(0);
    expect((await queueRows()).filter((r) => r.kb_name === "del")).toHaveLength(0);
  });
});

describe("coalescing", () => {
  it("repeated updates keep one queue row, reset to pending with attempts 0", async () => {
    await createEntry({ kb: "co", title: "Note", body: "v1" });
    await runDurableObjectAlarm(worker());
    expect((await queueRows()).find((r) => r.kb_name === "co")?.status).toBe("done");
    for (const body of ["v2", "v3", "v4"]) {
      await send("PATCH", "/api/entries/note?kb=co", { body });
    }
    const rows = (await queueRows()).filter((r) => r.kb_name === "co");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "pending", attempts: 0 });
    await runDurableObjectAlarm(worker());
    expect((await embedderStats()).texts).toBe(2); // v1 and v4 only
  });

  it("an update that leaves the embedded text unchanged queues nothing", async () => {
    await createEntry({ kb: "same", title: "Stable", body: "text" });
    await runDurableObjectAlarm(worker());
    const before = (await queueRows()).find((r) => r.kb_name === "same");
    const res = await send("PATCH", "/api/entries/stable?kb=same", { tags: ["x"], importance: 9 });
    const body = await res.json<EntryWriteResult>();
    expect(body.embedding.status).toBe("unchanged");
    expect(body.entry.tags).toEqual(["x"]);
    expect((await queueRows()).find((r) => r.kb_name === "same")).toEqual(before);
  });
});
