/**
 * The Vectorize vector store, through the real worker code with a fake Vectorize bound
 * (test/support/fake-vectorize.ts, written from the documented API and limits): commits upsert,
 * reuse never duplicates, deletes remove, filters by KB and model, delayed visibility shows in
 * the status, every call keeps to the limits, and the index recounts equal to D1.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { HASH_INFO } from "../../src/embedder/hash";
import { fingerprintKey } from "../../src/embedder/types";
import type { EmbedStatus } from "../../src/shared/api-types";
import { openDb } from "../../src/storage/db";
import { passageId } from "../../src/vectors/passage-id";
import { VectorizeStore } from "../../src/vectors/vectorize-store";
import { FakeVectorize } from "../support/fake-vectorize";
import { appFetch, appSend, type TestEnv } from "./app-fetch";
import { resetEmbedder } from "./helpers";

const MODEL = fingerprintKey(HASH_INFO.model);
const INDEXES = { kb: "string", model: "string", entry: "string", seq: "number" } as const;

/** One index for the file, as D1 is one database for the file: recounts compare the two whole. */
const fake = new FakeVectorize(HASH_INFO.model.dims, INDEXES);
/** The app in sync mode (writes embed in the request) with the fake bound as `VECTORIZE`. */
// The generated Env types the binding as the beta class; the store uses the V2 API the fake has.
const bound: TestEnv = { ...env, EMBED_MODE: "sync", VECTORIZE: fake as unknown as VectorizeIndex };

beforeEach(async () => {
  await resetEmbedder();
  fake.applyAll();
  fake.autoApply = false;
  fake.failNextMutations = 0;
});

/** The fake's vectors of one KB. */
const inKb = (kb: string) => fake.contents().filter((v) => v.metadata.kb === kb);

/** A note of `n` sections, each long enough (≈ 250 words) that the hash embedder's 512-word
 * window splits the note by section. */
const sections = (n: number, edited = -1) =>
  Array.from({ length: n }, (_, i) => {
    const words = i === edited ? "rewritten" : "original";
    const text = Array.from({ length: 40 }, (_, s) => `The ${words} part ${i} sentence ${s}.`);
    return `## Part ${i}\n\n${text.join(" ")}`;
  }).join("\n\n");

async function create(kb: string, id: string, body: string) {
  const res = await appSend("POST", "/api/entries", { kb, id, title: `Note ${id}`, body }, bound);
  expect(res.status).toBe(201);
  expect(((await res.json()) as { embedding: { status: string } }).embedding.status).toBe(
    "embedded",
  );
}

/** (kb, entry, model, seq) of every committed passage in D1, sorted. */
async function d1Passages(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT kb_name, entry_id, model, seq FROM entry_passages ORDER BY kb_name, entry_id, seq",
  ).all<{ kb_name: string; entry_id: string; model: string; seq: number }>();
  return results.map((r) => JSON.stringify([r.kb_name, r.entry_id, r.model, r.seq])).sort();
}

/** Committed passages of one entry in D1. */
async function d1Count(entry: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM entry_passages WHERE entry_id = ?")
    .bind(entry)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** The same of every vector the fake's queries see, checking each id is the address's hash. */
async function fakePassages(): Promise<string[]> {
  const out: string[] = [];
  for (const { id, metadata } of fake.contents()) {
    const { kb, entry, model, seq } = metadata;
    expect(id).toBe(await passageId(String(kb), String(entry), String(model), Number(seq)));
    out.push(JSON.stringify([kb, entry, model, seq]));
  }
  return out.sort();
}

async function status(): Promise<EmbedStatus> {
  return (await (await appFetch("/api/index/embed-status", {}, bound)).json()) as EmbedStatus;
}

async function search(q: string, kb?: string) {
  const path = `/api/search?q=${encodeURIComponent(q)}&mode=semantic${kb ? `&kb=${kb}` : ""}`;
  const res = await appFetch(path, {}, bound);
  expect(res.status).toBe(200);
  return (await res.json()) as {
    results: { kb_name: string; id: string; passage: { heading_path: string[] } | null }[];
  };
}

describe("the Vectorize store behind the real worker code", () => {
  it("upserts a committed set, visible only once its mutation is applied, and says so", async () => {
    await create("vz", "three", sections(3));
    expect(await d1Passages()).toHaveLength(3);
    expect(inKb("vz")).toEqual([]);
    const before = await status();
    expect(before.vector_store).toMatchObject({
      store: "vectorize",
      embedded: 3,
      searchable: 0,
      pending: true,
    });
    expect(before.vector_store?.pending_mutation).toEqual(expect.any(String));
    expect(before.embedded).toBe(1);
    expect((await search("original part 1 sentence")).results).toEqual([]);

    fake.applyAll();
    expect(await fakePassages()).toEqual(await d1Passages());
    expect((await status()).vector_store).toMatchObject({
      embedded: 3,
      searchable: 3,
      pending: false,
      pending_mutation: null,
    });
    const found = await search("original part 1 sentence");
    expect(found.results[0]).toMatchObject({ kb_name: "vz", id: "three" });
    expect(found.results[0]?.passage?.heading_path).toEqual(["Part 1"]);
  });

  it("re-commits with reuse without a duplicate, and drops the places a shorter set lost", async () => {
    fake.autoApply = true;
    await create("vz", "edit", sections(4));
    expect(await fakePassages()).toEqual(await d1Passages());
    // One section edited: the same places, the same ids (upserts replace).
    const edited = await appSend(
      "PATCH",
      "/api/entries/edit?kb=vz",
      { body: sections(4, 2) },
      bound,
    );
    expect(edited.status).toBe(200);
    expect(fake.contents().filter((v) => v.metadata.entry === "edit")).toHaveLength(
      await d1Count("edit"),
    );
    // Two sections fewer: their places leave the index.
    await appSend("PATCH", "/api/entries/edit?kb=vz", { body: sections(2) }, bound);
    expect(await d1Count("edit")).toBeLessThan(4);
    expect(fake.contents().filter((v) => v.metadata.entry === "edit")).toHaveLength(
      await d1Count("edit"),
    );
    // A forced re-embed of everything commits every set again: still no duplicate.
    const forced = await appSend("POST", "/api/index/embed", { force: true }, bound);
    expect(forced.status).toBe(200);
    expect(await fakePassages()).toEqual(await d1Passages());
  });

  it("deletes an entry's vectors with the entry", async () => {
    fake.autoApply = true;
    await create("vz", "doomed", sections(3));
    await create("vz", "kept", sections(2));
    expect(fake.contents().filter((v) => v.metadata.entry === "doomed")).toHaveLength(3);
    fake.autoApply = false;
    const res = await appFetch("/api/entries/doomed?kb=vz", { method: "DELETE" }, bound);
    expect(res.status).toBe(200);
    // Until the delete is applied the vectors are there, but search drops a deleted entry.
    expect(fake.contents().filter((v) => v.metadata.entry === "doomed")).toHaveLength(3);
    expect((await search("original part 2 sentence")).results.map((r) => r.id)).not.toContain(
      "doomed",
    );
    expect((await status()).vector_store?.pending).toBe(true);
    fake.applyAll();
    expect(fake.contents().filter((v) => v.metadata.entry === "doomed")).toEqual([]);
    expect(await fakePassages()).toEqual(await d1Passages());
  });

  it("filters by KB and by model", async () => {
    fake.autoApply = true;
    await create("kb-one", "same", "Tidal energy and the moon.");
    await create("kb-two", "same", "Tidal energy and the moon.");
    const both = await search("tidal energy moon");
    const same = both.results.filter((r) => r.id === "same");
    expect(same.map((r) => r.kb_name).sort()).toEqual(["kb-one", "kb-two"]);
    const one = await search("tidal energy moon", "kb-two");
    expect(one.results.map((r) => r.kb_name)).toEqual(["kb-two"]);
    const store = new VectorizeStore(openDb(env.DB), fake);
    const vector = new Float32Array(HASH_INFO.model.dims).fill(0.05);
    expect(await store.query({ vector, model: "another|384|mean|norm", topK: 10 })).toEqual([]);
    const hits = await store.query({ vector, model: MODEL, kb: "kb-one", topK: 10 });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.kbName === "kb-one")).toBe(true);
  });

  it("returns an entry id longer than indexed metadata keeps (64 bytes) whole", async () => {
    fake.autoApply = true;
    const long = `a-very-long-entry-id-${"x".repeat(80)}`;
    await create("vz-long", long, "Glaciers carve valleys over millennia.");
    const found = await search("glaciers carve valleys", "vz-long");
    expect(found.results.map((r) => r.id)).toEqual([long]);
    expect(fake.calls.some((c) => c.op === "getByIds")).toBe(true);
  });

  it("a refused upsert re-queues the entry (not announced), and the next run sends the set", async () => {
    fake.autoApply = true;
    fake.failNextMutations = 1;
    const res = await appSend(
      "POST",
      "/api/entries",
      { kb: "vz-fail", id: "retry", title: "Retry", body: sections(2) },
      bound,
    );
    expect(res.status).toBe(201);
    const answer = (await res.json()) as { embedding: { status: string; error: string } };
    expect(answer.embedding.status).toBe("queued_after_error");
    expect(answer.embedding.error).toContain("vector store refused");
    expect(inKb("vz-fail")).toEqual([]);
    const row = await env.DB.prepare(
      "SELECT status FROM embed_queue WHERE kb_name = 'vz-fail' AND entry_id = 'retry'",
    ).first<{ status: string }>();
    expect(row?.status).toBe("pending");
    await env.DB.prepare(
      "UPDATE embed_queue SET next_attempt_at = 0 WHERE kb_name = 'vz-fail'",
    ).run();
    const run = await appSend("POST", "/api/index/embed", {}, bound);
    expect(run.status).toBe(200);
    expect(inKb("vz-fail")).toHaveLength(2);
    expect(await fakePassages()).toEqual(await d1Passages());
  });
});

describe("the documented limits", () => {
  const dims = 8;
  const unit = (i: number) => Float32Array.from({ length: dims }, (_, d) => Math.cos(i + d));

  it("the fake refuses what the real binding refuses", async () => {
    const index = new FakeVectorize(dims, INDEXES);
    const vectors = Array.from({ length: 1001 }, (_, i) => ({
      id: `v${i}`,
      values: Array.from(unit(i)),
    }));
    await expect(index.upsert(vectors)).rejects.toThrow(/at most 1000/);
    await expect(index.deleteByIds(vectors.map((v) => v.id))).rejects.toThrow(/at most 1000/);
    await expect(
      index.upsert([{ id: "x".repeat(65), values: Array.from(unit(1)) }]),
    ).rejects.toThrow(/64 bytes/);
    await expect(index.upsert([{ id: "short", values: [1, 2] }])).rejects.toThrow(/dimensions/);
    await expect(index.query(Array.from(unit(1)), { topK: 101 })).rejects.toThrow(/topK/);
    await expect(
      index.query(Array.from(unit(1)), { topK: 21, returnMetadata: "all" }),
    ).rejects.toThrow(/topK/);
    await expect(
      index.query(Array.from(unit(1)), { topK: 21, returnValues: true }),
    ).rejects.toThrow(/topK/);
    await expect(
      index.query(Array.from(unit(1)), { topK: 100, returnMetadata: "indexed" }),
    ).resolves.toEqual({
      matches: [],
      count: 0,
    });
    expect(() => new FakeVectorize(1537)).toThrow(/dimensions/);
  });

  it("the store sends at most 1000 vectors or ids per call and asks topK ≤ 100", async () => {
    const index = new FakeVectorize(dims, INDEXES);
    index.autoApply = true;
    const store = new VectorizeStore(openDb(env.DB), index);
    const passages = Array.from({ length: 2500 }, (_, seq) => ({
      seq,
      hash: `h${seq}`,
      vector: unit(seq),
    }));
    await store.commit([
      { kbName: "big", entryId: "huge", model: "m", embeddedAt: 1, passages, previous: null },
    ]);
    expect(index.calls.filter((c) => c.op === "upsert").map((c) => c.size)).toEqual([
      1000, 1000, 500,
    ]);
    expect(index.contents()).toHaveLength(2500);
    const hits = await store.query({ vector: unit(7), model: "m", topK: 500 });
    expect(hits).toHaveLength(100);
    expect(hits[0]).toMatchObject({ kbName: "big", entryId: "huge", seq: 7 });
    const query = index.calls.find((c) => c.op === "query");
    expect(query?.options).toMatchObject({
      topK: 100,
      returnValues: false,
      returnMetadata: "indexed",
    });
    await store.deleteEntries([
      { kbName: "big", entryId: "huge", previous: { model: "m", passages: 2500 } },
    ]);
    expect(index.calls.filter((c) => c.op === "deleteByIds").map((c) => c.size)).toEqual([
      1000, 1000, 500,
    ]);
    expect(index.contents()).toEqual([]);
  });
});
