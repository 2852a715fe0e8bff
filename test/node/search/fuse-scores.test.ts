import { describe, expect, it } from "vitest";
import {
  fuseScores,
  type ScoredKey,
  SEMANTIC_REFERENCE_RANK,
} from "../../../src/search/fuse-scores.js";

/** A list best first, scores falling by `step` from `top`. */
const list = (keys: string[], top: number, step: number): ScoredKey[] =>
  keys.map((key, i) => ({ key, score: top - i * step }));

/** `n` semantic results `s0…`, cosines falling evenly from 0.8. */
const deepSemantic = (n: number) =>
  list(
    Array.from({ length: n }, (_, i) => `s${i}`),
    0.8,
    0.005,
  );

describe("fuseScores (hybrid's fusion)", () => {
  it("with weight 0 is the keyword list, in its order, and nothing else", () => {
    const keyword = list(["a", "b", "c"], 9, 2);
    const fused = fuseScores(keyword, deepSemantic(60), 0);
    expect(fused.map((f) => f.key)).toEqual(["a", "b", "c"]);
  });

  it("scales bm25 by the best keyword score and cosine between rank 50 and the best", () => {
    const keyword = [
      { key: "a", score: 8 },
      { key: "s1", score: 2 },
    ];
    const semantic = deepSemantic(60);
    const fused = new Map(fuseScores(keyword, semantic, 0.25).map((f) => [f.key, f]));
    expect(fused.get("a")).toMatchObject({ keyword: 1, semantic: 0, score: 0.75 });
    expect(fused.get("s0")).toMatchObject({ keyword: 0, semantic: 1, score: 0.25 });
    const s1 = fused.get("s1");
    expect(s1?.keyword).toBeCloseTo(0.25, 9);
    // One step below the best, of 49 steps down to the reference rank.
    expect(s1?.semantic).toBeCloseTo(48 / 49, 9);
    expect(s1?.score).toBeCloseTo(0.75 * 0.25 + 0.25 * (48 / 49), 9);
    // At and below the reference rank, semantic adds nothing.
    expect(fused.get(`s${SEMANTIC_REFERENCE_RANK - 1}`)?.semantic).toBe(0);
    expect(fused.get("s59")?.semantic).toBe(0);
  });

  it("keeps a strong keyword-only match above entries that are middling in both lists", () => {
    const keyword = list(["exact", "m1", "m2"], 10, 4);
    const semantic = [...list(["near", "m2", "m1"], 0.7, 0.05), ...deepSemantic(60).slice(10)];
    const fused = fuseScores(keyword, semantic, 0.25).map((f) => f.key);
    expect(fused[0]).toBe("exact");
  });

  it("extends the keyword results with what only semantic search finds", () => {
    const keyword = list(["k1", "k2"], 5, 1);
    const fused = fuseScores(keyword, deepSemantic(60), 0.25).map((f) => f.key);
    expect(fused.slice(0, 2)).toEqual(["k1", "k2"]);
    expect(fused).toContain("s0");
    // With no keyword match at all, hybrid ranks as semantic search does.
    expect(
      fuseScores([], deepSemantic(60), 0.25)
        .slice(0, 5)
        .map((f) => f.key),
    ).toEqual(["s0", "s1", "s2", "s3", "s4"]);
  });

  it("gives an entry the same score however deep the semantic list beyond the reference rank", () => {
    const keyword = list(["s3", "k"], 6, 1);
    const scores = (depth: number) =>
      new Map(fuseScores(keyword, deepSemantic(depth), 0.3).map((f) => [f.key, f.score]));
    const shallow = scores(SEMANTIC_REFERENCE_RANK + 10);
    const deep = scores(SEMANTIC_REFERENCE_RANK + 100);
    for (const [key, score] of shallow) expect(deep.get(key)).toBe(score);
  });

  it("moves a semantic favourite up as its weight grows", () => {
    const keyword = list(["k1", "k2", "s0"], 10, 3);
    const rank = (w: number) =>
      fuseScores(keyword, deepSemantic(60), w).findIndex((f) => f.key === "s0");
    expect(rank(0)).toBe(2);
    expect(rank(0.5)).toBeLessThan(2);
  });

  it("counts a key repeated in a list once, at its best place", () => {
    const semantic = [{ key: "x", score: 0.9 }, ...deepSemantic(60), { key: "x", score: 0.1 }];
    const fused = fuseScores([], semantic, 1);
    expect(fused.filter((f) => f.key === "x")).toEqual([
      { key: "x", score: 1, keyword: 0, semantic: 1 },
    ]);
  });
});
