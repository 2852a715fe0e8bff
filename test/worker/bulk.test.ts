import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { readSettings } from "../../src/config";
import type { InvalidItem } from "../../src/domain/bulk-input";
import { BulkWriteService } from "../../src/domain/bulk-write-service";
import { noNotifier } from "../../src/domain/embed-notifier";
import type { BulkWriteResult, EntryRead, ErrorBody } from "../../src/shared/api-types";
import type { EntryEventMessage } from "../../src/shared/messages";
import { openDb } from "../../src/storage/db";
import { IsolateStore } from "../../src/vectors/isolate-store";
import { api, BASE_URL, queueRows, resetEmbedder, send, vectorRows, worker } from "./helpers";

/** A batch's answer: what it did, or (by status) the error. */
async function batch(
  body: unknown,
): Promise<{ status: number; body: BulkWriteResult & ErrorBody }> {
  const res = await send("POST", "/api/entries/batch", body);
  return { status: res.status, body: await res.json<BulkWriteResult & ErrorBody>() };
}

async function countEntries(kb: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM entries WHERE kb_name = ?")
    .bind(kb)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

async function entryRow(kb: string, id: string) {
  return env.DB.prepare("SELECT * FROM entries WHERE kb_name = ? AND id = ?")
    .bind(kb, id)
    .first<{ updated_at: string; tags: string; metadata: string; body: string }>();
}

const three = [
  {
    id: "alpha",
    title: "Alpha",
    body: "See [[beta]].",
    tags: ["x"],
    metadata: { links: [{ target: "beta", relation: "related_to" }], date: "2001-02-13" },
  },
  { title: "Beta Entry", body: "second", entry_type: "concept", importance: 8 },
  { title: "Gamma", summary: "third" },
];

beforeEach(resetEmbedder);

describe("POST /api/entries/batch", () => {
  it("creates entries with their queue rows and answers counts and ids in order", async () => {
    const { status, body } = await batch({ kb: "happy", entries: three });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      created: 3,
      updated: 0,
      unchanged: 0,
      ids: ["alpha", "beta-entry", "gamma"],
      queued: 3,
      embed_mode: "background",
    });
    const read = await (await api("/api/entries/alpha?kb=happy")).json<EntryRead>();
    expect(read.entry.metadata).toEqual(three[0]?.metadata);
    expect(read.entry.body).toBe("See [[beta]].");
    const rows = (await queueRows()).filter((r) => r.kb_name === "happy");
    expect(rows.map((r) => [r.entry_id, r.status])).toEqual([
      ["alpha", "pending"],
      ["beta-entry", "pending"],
      ["gamma", "pending"],
    ]);
  });

  it("re-posting is idempotent: unchanged rows are neither rewritten nor re-queued", async () => {
    await batch({ kb: "again", entries: three });
    await runDurableObjectAlarm(worker());
    const before = await queueRows();
    const stamp = (await entryRow("again", "alpha"))?.updated_at;

    const { body } = await batch({ kb: "again", entries: three });
    expect(body).toMatchObject({ created: 0, updated: 0, unchanged: 3, queued: 0 });
    expect(await queueRows()).toEqual(before);
    expect((await entryRow("again", "alpha"))?.updated_at).toBe(stamp);
  });

  it("an upsert bumps the version of what it changes, once, and of nothing else", async () => {
    await batch({ kb: "versions", entries: three });
    const version = async (id: string) =>
      (
        await env.DB.prepare("SELECT version FROM entries WHERE kb_name = 'versions' AND id = ?")
          .bind(id)
          .first<{ version: number }>()
      )?.version;
    const changed = three.map((e, i) => (i === 0 ? { ...e, importance: 2 } : e));
    const { body } = await batch({ kb: "versions", entries: changed });
    expect(body).toMatchObject({ updated: 1, unchanged: 2 });
    expect([await version("alpha"), await version("beta-entry"), await version("gamma")]).toEqual([
      2, 1, 1,
    ]);
  });

  it("re-queues only entries whose embedded text changed", async () => {
    await batch({ kb: "requeue", entries: three });
    await runDurableObjectAlarm(worker());
    const changed = [
      { ...three[0], tags: ["x", "y"] }, // metadata-only change: rewritten, not re-queued
      { ...three[1], body: "second, edited" }, // text change: re-queued
      three[2],
    ];
    const { body } = await batch({ kb: "requeue", entries: changed });
    expect(body).toMatchObject({ created: 0, updated: 2, unchanged: 1, queued: 1 });
    const rows = (await queueRows()).filter((r) => r.kb_name === "requeue");
    expect(rows.map((r) => [r.entry_id, r.status, r.attempts])).toEqual([
      ["alpha", "done", 1],
      ["beta-entry", "pending", 0],
      ["gamma", "done", 1],
    ]);
    expect(JSON.parse((await entryRow("requeue", "alpha"))?.tags ?? "")).toEqual(["x", "y"]);
  });

  it("lists every invalid item by index with all its reasons, and writes nothing", async () => {
    const { status, body } = await batch({
      kb: "invalid",
      entries: [
        { title: "Fine" },
        { body: "no title" },
        { title: "Bad fields", importance: 11, tags: [""], entry_type: "Not An Identifier" },
        { title: "!!!" },
        { title: "Fine too", id: "../escape" },
        "not an object",
      ],
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe("invalid_entries");
    const details = body.error.details as InvalidItem[];
    expect(details.map((d) => d.index)).toEqual([1, 2, 3, 4, 5]);
    expect(details[1]?.errors.map((e) => e.path).sort()).toEqual(
      ["entry_type", "importance", "tags.0"].sort(),
    );
    expect(details[2]?.errors[0]?.path).toBe("id");
    expect(await countEntries("invalid")).toBe(0);
  });

  it("rejects duplicate ids inside one request (given or derived), naming the first", async () => {
    const { status, body } = await batch({
      kb: "dups",
      entries: [{ title: "Same Title" }, { id: "other", title: "x" }, { title: "same title!" }],
    });
    expect(status).toBe(400);
    expect(body.error.details).toEqual([
      {
        index: 2,
        id: "same-title",
        errors: [{ path: "id", message: "duplicates the id of entry 0" }],
      },
    ]);
    expect(await countEntries("dups")).toBe(0);
  });

  it("takes each item's kb, falling back to the request's; one of them is required", async () => {
    const missing = await batch({ entries: [{ title: "Nowhere" }] });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toMatchObject([{ index: 0, errors: [{ path: "kb" }] }]);

    const { body } = await batch({
      kb: "mixed-a",
      entries: [{ title: "Shared" }, { kb: "mixed-b", title: "Shared" }],
    });
    expect(body).toMatchObject({ created: 2, ids: ["shared", "shared"] });
    expect(await countEntries("mixed-a")).toBe(1);
    expect(await countEntries("mixed-b")).toBe(1);
  });

  it("create mode: 409 listing the existing ids, and nothing of the request is written", async () => {
    await batch({ kb: "create", entries: [{ title: "Exists" }] });
    const { status, body } = await batch({
      kb: "create",
      mode: "create",
      entries: [{ title: "New One" }, { title: "Exists", body: "changed" }],
    });
    expect(status).toBe(409);
    expect(body.error).toMatchObject({
      code: "entries_exist",
      details: [{ index: 1, kb: "create", id: "exists" }],
    });
    expect(await countEntries("create")).toBe(1);
    expect((await entryRow("create", "exists"))?.body).toBe("");
  });

  it("bounds a request: more than 500 entries is a 400, more than 2 MiB a 413", async () => {
    const many = Array.from({ length: 501 }, (_, i) => ({ title: `T ${i}` }));
    const tooMany = await batch({ kb: "bounds", entries: many });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toContain("at most 500");

    const big = "x".repeat(600 * 1024);
    const tooBig = await batch({
      kb: "bounds",
      entries: [1, 2, 3, 4].map((i) => ({ title: `Big ${i}`, body: big })),
    });
    expect(tooBig.status).toBe(413);
    expect(await countEntries("bounds")).toBe(0);
  });

  it("rejects an empty batch and malformed JSON", async () => {
    expect((await batch({ kb: "empty", entries: [] })).status).toBe(400);
    const res = await send("POST", "/api/entries/batch", '{"entries": [');
    expect(res.status).toBe(400);
    expect((await res.json<ErrorBody>()).error.code).toBe("malformed_json");
  });
});

/** The worker namespace with its stubs' `notify` calls recorded. */
function countingNamespace(calls: { events: number; kick: boolean }[]) {
  const real = env.EMBED_WORKER;
  const namespace = {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = real.get(id);
      return {
        notify: async (events: EntryEventMessage[], kick: boolean) => {
          calls.push({ events: events.length, kick });
          await stub.notify(events, kick);
        },
      };
    },
  };
  return namespace as unknown as typeof env.EMBED_WORKER;
}

async function callApp(envOverride: Partial<Env>, path: string, body: unknown) {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(`${BASE_URL}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    { ...env, ...envOverride },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: await res.json<BulkWriteResult>() };
}

describe("the worker hears about a batch once", () => {
  it("one notify with every event and one kick; the alarm is scheduled", async () => {
    await runInDurableObject(worker(), (_, state) => state.storage.deleteAlarm());
    const calls: { events: number; kick: boolean }[] = [];
    const entries = Array.from({ length: 40 }, (_, i) => ({ title: `Kick ${i}` }));
    const { body } = await callApp(
      { EMBED_WORKER: countingNamespace(calls) },
      "/api/entries/batch",
      { kb: "kick", entries },
    );
    expect(body).toMatchObject({ created: 40, queued: 40 });
    expect(calls).toEqual([{ events: 40, kick: true }]);
    const alarm = await runInDurableObject(worker(), (_, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();

    // Nothing queued (all unchanged): no kick, and no notification at all.
    calls.length = 0;
    await callApp({ EMBED_WORKER: countingNamespace(calls) }, "/api/entries/batch", {
      kb: "kick",
      entries,
    });
    expect(calls).toEqual([]);
    await runDurableObjectAlarm(worker());
    expect(
      (await queueRows()).filter((r) => r.kb_name === "kick").every((r) => r.status === "done"),
    ).toBe(true);
  });
});

describe("without a background worker", () => {
  it("EMBED_MODE=sync embeds a bounded number now and leaves the rest queued", async () => {
    const entries = Array.from({ length: 70 }, (_, i) => ({ title: `Sync ${i}` }));
    const { body } = await callApp({ EMBED_MODE: "sync" }, "/api/entries/batch", {
      kb: "sync-batch",
      entries,
    });
    expect(body).toMatchObject({ created: 70, queued: 70, embed_mode: "sync", embedded: 64 });
    expect((await vectorRows()).filter((v) => v.kb_name === "sync-batch")).toHaveLength(64);
    const pending = (await queueRows()).filter(
      (r) => r.kb_name === "sync-batch" && r.status === "pending",
    );
    expect(pending).toHaveLength(6);
  });

  it("EMBED_MODE=off writes entries without queue rows", async () => {
    const { body } = await callApp({ EMBED_MODE: "off" }, "/api/entries/batch", {
      kb: "off-batch",
      entries: three,
    });
    expect(body).toMatchObject({ created: 3, queued: 0, embed_mode: "off" });
    expect((await queueRows()).filter((r) => r.kb_name === "off-batch")).toEqual([]);
  });
});

describe("a batch split over several D1 batches", () => {
  it("writes everything, and a repeat finds it all unchanged (idempotent)", async () => {
    const service = () =>
      new BulkWriteService({
        db: openDb(env.DB),
        vectors: new IsolateStore(openDb(env.DB)),
        settings: readSettings(env),
        // A present (silent) worker: the rows stay queued, nothing is embedded here.
        notifier: { ...noNotifier, present: true },
        embedder: () => {
          throw new Error("not used");
        },
        defer: () => undefined,
        maxStatementsPerTransaction: 3,
      });
    const entries = Array.from({ length: 7 }, (_, i) => ({ title: `Chunk ${i}`, body: `b${i}` }));
    const first = await service().write({ kb: "chunks", entries });
    expect(first).toMatchObject({ created: 7, queued: 7 });
    expect(await countEntries("chunks")).toBe(7);
    const again = await service().write({ kb: "chunks", entries });
    expect(again).toMatchObject({ created: 0, unchanged: 7, queued: 0 });
  });
});
