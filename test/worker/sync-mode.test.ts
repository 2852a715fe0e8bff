import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type {
  BulkWriteResult,
  EmbedResponse,
  EmbedStatus,
  EntryWriteResult,
} from "../../src/shared/api-types";
import { appFetch, appSend } from "./app-fetch";
import { controlEmbedder, queueRows, resetEmbedder, vectorRows } from "./helpers";

/** The app as configured with EMBED_MODE overridden (settings are parsed per env object). */
function call(mode: string, method: string, path: string, body?: unknown) {
  const withMode = { ...env, EMBED_MODE: mode };
  return body === undefined
    ? appFetch(path, { method }, withMode)
    : appSend(method, path, body, withMode);
}

beforeEach(resetEmbedder);

describe("EMBED_MODE=sync (no background worker)", () => {
  it("embeds inside the write and says so", async () => {
    const res = await call("sync", "POST", "/api/entries", { kb: "sync", title: "Right now" });
    expect(res.status).toBe(201);
    const body = await res.json<EntryWriteResult>();
    expect(body.embedding.status).toBe("embedded");
    const [vector] = (await vectorRows()).filter((v) => v.kb_name === "sync");
    expect(vector?.content_hash).toBe(body.entry.content_hash);
    expect((await queueRows()).find((r) => r.kb_name === "sync")?.status).toBe("done");
  });

  it("a failed embedding still saves the entry and leaves it queued, never silently", async () => {
    await controlEmbedder({ failNext: 1 });
    const res = await call("sync", "POST", "/api/entries", { kb: "sync", title: "Unlucky" });
    expect(res.status).toBe(201);
    const body = await res.json<EntryWriteResult>();
    expect(body.embedding.status).toBe("queued_after_error");
    expect(body.embedding.error).toContain("injected failure");
    const read = await call("sync", "GET", "/api/entries/unlucky?kb=sync");
    expect(read.status).toBe(200);
    expect((await queueRows()).find((r) => r.entry_id === "unlucky")).toMatchObject({
      status: "pending",
      attempts: 1,
    });
  });

  it("status says the worker is absent; a synchronous index embed catches up", async () => {
    const status = await (
      await call("sync", "GET", "/api/index/embed-status?kb=sync")
    ).json<EmbedStatus>();
    expect(status.worker.state).toBe("absent");
    expect(status.pending).toBe(1);
    await env.DB.prepare("UPDATE embed_queue SET next_attempt_at = 0").run();
    const res = await call("sync", "POST", "/api/index/embed", {});
    const body = await res.json<EmbedResponse>();
    expect(body.batch?.embedded).toBe(1);
    expect(body.status.pending).toBe(0);
    // Background-only controls refuse clearly where there is no worker.
    expect((await call("sync", "POST", "/api/index/embed/pause")).status).toBe(409);
  });

  it("a sync-mode batch fails an exhausted lease before it claims: never a 4th attempt", async () => {
    const kb = "sync-exhausted";
    await call("sync", "POST", "/api/entries", { kb, title: "Worn out" });
    // A request died while embedding this entry for the last allowed time (attempt 3 of 3).
    await env.DB.prepare(
      "UPDATE embed_queue SET status = 'processing', attempts = 3, lease_until = 1 WHERE kb_name = ?",
    )
      .bind(kb)
      .run();
    const res = await call("sync", "POST", "/api/entries/batch", {
      kb,
      entries: [{ title: "Fresh" }],
    });
    expect(res.status).toBe(200);
    expect((await res.json<BulkWriteResult>()).embedded).toBe(1);
    const rows = (await queueRows()).filter((r) => r.kb_name === kb);
    expect(rows.find((r) => r.entry_id === "worn-out")).toMatchObject({
      status: "failed",
      attempts: 3,
      error: expect.stringMatching(/lease expired/),
    });
    expect(rows.find((r) => r.entry_id === "fresh")).toMatchObject({ status: "done", attempts: 1 });
  });

  it("an update in sync mode re-embeds; an unchanged one does not", async () => {
    await call("sync", "POST", "/api/entries", { kb: "sync2", title: "Versioned", body: "one" });
    const changed = await call("sync", "PATCH", "/api/entries/versioned?kb=sync2", { body: "two" });
    expect((await changed.json<EntryWriteResult>()).embedding.status).toBe("embedded");
    const same = await call("sync", "PATCH", "/api/entries/versioned?kb=sync2", { importance: 2 });
    expect((await same.json<EntryWriteResult>()).embedding.status).toBe("unchanged");
  });
});

describe("EMBED_MODE=off", () => {
  it("writes queue nothing; the status counts them as missing", async () => {
    const res = await call("off", "POST", "/api/entries", { kb: "off", title: "Keyword only" });
    expect((await res.json<EntryWriteResult>()).embedding.status).toBe("disabled");
    expect((await queueRows()).filter((r) => r.kb_name === "off")).toEqual([]);
    const status = await (
      await call("off", "GET", "/api/index/embed-status?kb=off")
    ).json<EmbedStatus>();
    expect(status).toMatchObject({ entries: 1, missing: 1 });
  });

  it("a text change drops the row of the older text, so counts and `index embed` see it", async () => {
    type Status = { entries: number; embedded: number; missing: number; stale: number };
    const status = async () =>
      (await (await call("off", "GET", "/api/index/embed-status?kb=off2")).json()) as Status;
    for (const title of ["Patched later", "Batched later"]) {
      const made = await call("sync", "POST", "/api/entries", { kb: "off2", title });
      expect((await made.json<EntryWriteResult>()).embedding.status).toBe("embedded");
    }
    expect(await status()).toMatchObject({ entries: 2, embedded: 2, missing: 0, stale: 0 });

    const patched = await call("off", "PATCH", "/api/entries/patched-later?kb=off2", {
      body: "new text",
    });
    expect(patched.status).toBe(200);
    const batched = await call("off", "POST", "/api/entries/batch", {
      kb: "off2",
      entries: [{ id: "batched-later", title: "Batched later", body: "new text" }],
    });
    expect((await batched.json<BulkWriteResult>()).updated).toBe(1);

    expect((await queueRows()).filter((r) => r.kb_name === "off2")).toEqual([]);
    expect(await status()).toMatchObject({ entries: 2, embedded: 0, missing: 2, stale: 2 });
    const embed = await call("sync", "POST", "/api/index/embed", { kb: "off2" });
    expect((await embed.json<EmbedResponse>()).queued).toBe(2);
  });
});
