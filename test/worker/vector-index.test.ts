import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { VectorIndex } from "../../src/search/vector-index";
import { openDb } from "../../src/storage/db";
import { encodeVector } from "../../src/storage/vector-codec";

/** A seeded unit vector (mulberry32 + Box-Muller). */
function unitVector(seed: number, dims: number): Float32Array {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const v = new Float32Array(dims);
  for (let i = 0; i < dims; i++) {
    v[i] = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  }
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

describe("VectorIndex (int8 in memory)", () => {
  it("scores within 0.01 of exact cosine, ranks like it, and filters by KB", async () => {
    const dims = 384;
    const vectors = Array.from({ length: 200 }, (_, i) => unitVector(i + 1, dims));
    for (const [i, v] of vectors.entries()) {
      await env.DB.prepare(
        "INSERT INTO entry_embeddings (kb_name, entry_id, model, dims, content_hash, vector, embedded_at) VALUES (?, ?, 'm', ?, 'h', ?, ?)",
      )
        .bind(i % 2 === 0 ? "even" : "odd", `e${i}`, dims, encodeVector(v), 1000 + i)
        .run();
    }
    const index = new VectorIndex("m");
    await index.sync(openDb(env.DB), Date.now());
    expect(index.size).toBe(200);

    const query = vectors[42] ?? new Float32Array(dims);
    const hits = index.search(query, 10);
    expect(hits[0]).toMatchObject({ kbName: "even", entryId: "e42" });
    expect(Math.abs((hits[0]?.score ?? 0) - 1)).toBeLessThan(0.01);
    const exact = vectors
      .map((v, i) => ({ id: `e${i}`, score: dot(query, v) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    for (const hit of hits) {
      const truth = exact.find((e) => e.id === hit.entryId);
      if (truth) expect(Math.abs(truth.score - hit.score)).toBeLessThan(0.01);
    }
    expect(hits.map((h) => h.entryId).slice(0, 3)).toEqual(exact.map((e) => e.id).slice(0, 3));
    expect(index.search(query, 5, "odd").every((h) => h.kbName === "odd")).toBe(true);
  });
});
