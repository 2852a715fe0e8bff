/**
 * The in-isolate index's sign codes: Hamming pre-selection plus exact rescoring must find the
 * true nearest passages. Unstructured random vectors are the hardest case for sign codes; real
 * embeddings cluster by topic, so this draws clustered vectors (each a topic's direction plus as
 * much noise again, cosine ≈ 0.55 to its centre, as passages of one topic are) and asserts
 * recall@10 against exact cosine. The figure on real vectors is in the README.
 */
import { describe, expect, it } from "vitest";
import { BinaryCodes, signCode } from "../../src/vectors/binary-codes";
import { cosine } from "../../src/vectors/cosine";
import { rescore, rescoreDepth } from "../../src/vectors/rescore";

function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

const dims = 384;
const unit = (v: Float32Array) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe("BinaryCodes", () => {
  it("codes one bit per dimension, set where the component is positive", () => {
    const code = signCode(Float32Array.from([0.5, -1, 0, 2, ...new Array(33).fill(-1), 3]), 2);
    expect(code[0]).toBe(0b1001);
    expect(code[1]).toBe(1 << 5);
  });

  it("pre-selects so that rescoring finds the exact top 10 (recall@10 ≥ 0.95)", () => {
    const gauss = seeded(42);
    const noisy = (c: Float32Array) => unit(c.map((x) => x + (1.5 * gauss()) / Math.sqrt(dims)));
    const topics = Array.from({ length: 40 }, () =>
      unit(Float32Array.from({ length: dims }, gauss)),
    );
    const vectors = Array.from({ length: 4000 }, (_, i) => noisy(topics[i % 40] as Float32Array));
    const codes = new BinaryCodes();
    vectors.forEach((v, i) => {
      codes.put(i % 2 ? "odd" : "even", `e${i}`, 0, 1, v);
    });
    expect(codes.passages).toBe(4000);
    expect(codes.bytes).toBeLessThan(4000 * (dims / 8 + 8) * 1.6);

    let found = 0;
    for (let q = 0; q < 40; q++) {
      const query = noisy(topics[q] as Float32Array);
      const exact = vectors
        .map((v, i) => ({ id: `e${i}`, score: cosine(query, v) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 10)
        .map((e) => e.id);
      const candidates = codes.candidates(query, rescoreDepth(10));
      expect(candidates).toHaveLength(rescoreDepth(10));
      const withVectors = candidates.map((c) => ({
        ...c,
        vector: vectors[Number(c.entryId.slice(1))] as Float32Array,
      }));
      const top = rescore(query, candidates, withVectors, 10).map((h) => h.entryId);
      found += top.filter((id) => exact.includes(id)).length;
    }
    expect(found / 400).toBeGreaterThanOrEqual(0.95);
  });

  it("puts an exact match first and keeps to the KB asked for", () => {
    const gauss = seeded(7);
    const codes = new BinaryCodes();
    const vectors = Array.from({ length: 300 }, () =>
      unit(Float32Array.from({ length: dims }, gauss)),
    );
    vectors.forEach((v, i) => {
      codes.put(i % 3 === 0 ? "a" : "b", `e${i}`, i % 4, 1, v);
    });
    const query = vectors[30] as Float32Array;
    expect(codes.candidates(query, 5)[0]).toEqual({ kbName: "a", entryId: "e30", seq: 2 });
    const inB = codes.candidates(query, 50, "b");
    expect(inB).toHaveLength(50);
    expect(inB.every((c) => c.kbName === "b")).toBe(true);
    expect(codes.candidates(query, 5, "nowhere")).toEqual([]);
    // Asking for more than the KB holds returns the KB, never another's passages.
    const allOfA = codes.candidates(query, 1000, "a");
    expect(allOfA).toHaveLength(100);
    expect(allOfA.every((c) => c.kbName === "a")).toBe(true);
    codes.drop("a", "e30", 1);
    expect(codes.candidates(query, 5)[0]?.entryId).not.toBe("e30");
  });
});
