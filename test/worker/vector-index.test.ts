import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mulberry32, normalSampler } from "../../scripts/model/prng.js";
import { openDb } from "../../src/storage/db";
import { encodeVector } from "../../src/storage/vector-codec";
import { VectorIndex } from "../../src/vectors/isolate-index";

/** A seeded unit vector. */
function unitVector(seed: number, dims: number): Float32Array {
  const normal = normalSampler(mulberry32(seed));
  const v = Float32Array.from({ length: dims }, normal);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

/** Stores one committed passage (its vector and its place in the entry's set) of a model. */
async function putPassage(
  kb: string,
  id: string,
  seq: number,
  vector: Float32Array,
  at: number,
  model = "m",
) {
  const hash = `h-${kb}-${id}-${seq}-${at}`;
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO passage_vectors (kb_name, entry_id, model, hash, dims, vector, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).bind(kb, id, model, hash, vector.length, encodeVector(vector), at),
    env.DB.prepare(
      "INSERT INTO entry_passages (kb_name, entry_id, seq, model, hash, start, end, embedded_at) VALUES (?, ?, ?, ?, ?, 0, 0, ?)",
    ).bind(kb, id, seq, model, hash, at),
  ]);
}

describe("VectorIndex (sign codes in memory, rescored from D1)", () => {
  it("scores exactly as cosine, ranks like it, and filters by KB", async () => {
    const db = openDb(env.DB);
    const dims = 384;
    const vectors = Array.from({ length: 200 }, (_, i) => unitVector(i + 1, dims));
    for (const [i, v] of vectors.entries()) {
      await putPassage(i % 2 === 0 ? "even" : "odd", `e${i}`, 0, v, 1000 + i);
    }
    const index = new VectorIndex("m");
    await index.sync(db);
    expect(index.size).toBe(200);

    const query = vectors[42] ?? new Float32Array(dims);
    const hits = await index.search(db, query, 10);
    expect(hits[0]).toMatchObject({ kbName: "even", entryId: "e42" });
    expect(Math.abs((hits[0]?.score ?? 0) - 1)).toBeLessThan(1e-5);
    const exact = vectors
      .map((v, i) => ({ id: `e${i}`, score: dot(query, v) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    for (const hit of hits) {
      const truth = exact.find((e) => e.id === hit.entryId);
      if (truth) expect(Math.abs(truth.score - hit.score)).toBeLessThan(1e-5);
    }
    // Unstructured random vectors are the hardest case for sign codes (recall on clustered and on
    // real vectors: binary-codes.test.ts, README); the nearest few still come first.
    expect(hits.map((h) => h.entryId).slice(0, 3)).toEqual(exact.map((e) => e.id).slice(0, 3));
    expect((await index.search(db, query, 5, "odd")).every((h) => h.kbName === "odd")).toBe(true);
  });

  it("replaces an entry's passage set whole when a newer set is committed", async () => {
    const db = openDb(env.DB);
    const index = new VectorIndex("m8");
    for (let seq = 0; seq < 3; seq++)
      await putPassage("sets", "doc", seq, unitVector(500 + seq, 8), 1, "m8");
    await index.sync(db);
    expect(index.size).toBe(3);
    await env.DB.prepare("DELETE FROM entry_passages WHERE kb_name = 'sets'").run();
    await putPassage("sets", "doc", 0, unitVector(600, 8), 2, "m8");
    await index.sync(db);
    expect(index.size).toBe(1);
    expect(index.countIn("sets")).toBe(1);
  });
});

describe("VectorIndex: deletes and reloads (issue 12)", () => {
  const dims = 16;
  const db = openDb(env.DB);

  it("drops a deleted entry's passages at the next sync, not at a later full reload", async () => {
    const index = new VectorIndex("m16");
    for (let i = 0; i < 4; i++) {
      await putPassage("del", `d${i}`, 0, unitVector(700 + i, dims), 5000 + i, "m16");
      await putPassage("del", `d${i}`, 1, unitVector(800 + i, dims), 5000 + i, "m16");
      await env.DB.prepare(
        "INSERT INTO entry_embeddings (kb_name, entry_id, model, dims, content_hash, embedded_at, passages) VALUES ('del', ?, 'm16', ?, 'h', ?, 2)",
      )
        .bind(`d${i}`, dims, 5000 + i)
        .run();
    }
    await index.sync(db);
    expect(index.countIn("del")).toBe(4);
    const query = unitVector(701, dims);
    expect((await index.search(db, query, 1, "del"))[0]?.entryId).toBe("d1");
    // What deleting the entry does: its header goes (and its passages with it), by trigger.
    await env.DB.prepare(
      "DELETE FROM entry_embeddings WHERE kb_name = 'del' AND entry_id = 'd1'",
    ).run();
    await index.sync(db);
    expect(index.countIn("del")).toBe(3);
    expect((await index.search(db, query, 10, "del")).map((h) => h.entryId)).not.toContain("d1");
  });

  it("keeps answering from the complete index while a full reload is under way", async () => {
    const index = new VectorIndex("m16");
    for (let i = 0; i < 50; i++)
      await putPassage("reload", `r${i}`, 0, unitVector(900 + i, dims), 7000 + i, "m16");
    await index.sync(db);
    const query = unitVector(910, dims);
    const before = await index.search(db, query, 5, "reload");
    expect(before).toHaveLength(5);
    // Delete records this index never saw were pruned: it must reload everything.
    await env.DB.prepare(
      "INSERT INTO vector_deletes (id, kb_name, entry_id, model, embedded_at) VALUES (900000, 'x', 'y', 'other', 0)",
    ).run();
    const reloading = index.sync(db);
    // A search while the reload reads D1 (another request's) sees the whole previous index.
    expect(await index.search(db, query, 5, "reload")).toEqual(before);
    await reloading;
    expect(await index.search(db, query, 5, "reload")).toEqual(before);
    expect(index.countIn("reload")).toBe(50);
  });
});
