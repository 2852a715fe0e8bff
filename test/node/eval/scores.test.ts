import { describe, expect, it } from "vitest";
import type { EvalQuery } from "../../../bench/eval/query-set.js";
import { FUSION_METHODS, scoreFusion, scoreGroups } from "../../../bench/eval/scores.js";
import type { QueryRankings } from "../../../bench/eval/searches.js";

const query = (id: string, split: "tune" | "heldout", deep: boolean): EvalQuery => ({
  id,
  query: id,
  relevant: { [`k/${id}`]: 2 },
  answer: { entry: `k/${id}`, offset: deep ? 2000 : 10, evidence: "evidence here" },
  deep,
  split,
});

/** `id`'s answer first in one list, absent (beyond ten others) from the other. */
function rankings(id: string, foundBy: "keyword" | "semantic"): QueryRankings {
  const noise = Array.from({ length: 12 }, (_, i) => `k/noise-${id}-${i}`);
  const found = [`k/${id}`, ...noise];
  const keyword = foundBy === "keyword" ? found : noise;
  const semantic = foundBy === "semantic" ? found : noise;
  return {
    id,
    top: {
      keyword: keyword.slice(0, 10),
      semantic: semantic.slice(0, 10),
      hybrid: keyword.slice(0, 10),
    },
    deep: { keyword, semantic },
    // Scores fall with rank, as the server's do.
    deepScores: {
      keyword: keyword.map((_, i) => 10 - i / 2),
      semantic: semantic.map((_, i) => 0.8 - i / 100),
    },
  };
}

describe("scoreFusion", () => {
  it("picks each method's weight on tune only, then reports it on heldout", () => {
    // Tune: only semantic finds the answers. Heldout: only keyword does.
    const queries = [
      query("t1", "tune", true),
      query("t2", "tune", false),
      query("h1", "heldout", true),
    ];
    const ranked = [
      rankings("t1", "semantic"),
      rankings("t2", "semantic"),
      rankings("h1", "keyword"),
    ];
    const fusion = scoreFusion(queries, ranked, 0.25);
    expect(fusion.methods.map((m) => m.id)).toEqual(FUSION_METHODS.map((m) => m.id));
    for (const method of fusion.methods) {
      expect(method.sweep.find((p) => p.semanticWeight === 1)?.tuneNdcg).toBe(1);
      expect(method.sweep.find((p) => p.semanticWeight === 0)?.tuneNdcg).toBe(0);
      expect(method.tuneNdcg).toBe(1);
      // The lowest weight that reaches the best tune figure.
      const first = method.sweep.find((p) => p.tuneNdcg === 1);
      expect(method.best).toBe(first?.semanticWeight);
    }
    // Weight 1 is semantic alone, which misses the heldout answer.
    const rrf = fusion.methods.find((m) => m.id === "rrf-60");
    expect(rrf?.best).toBe(1);
    expect(rrf?.heldout.ndcg).toBe(0);
    expect(fusion.heldout.queries).toBe(1);
    expect(fusion.heldout.keyword.ndcg).toBe(1);
  });

  it("breaks a tie toward keyword", () => {
    const fusion = scoreFusion([query("t1", "tune", true)], [rankings("t1", "keyword")], 0.25);
    for (const method of fusion.methods) expect(method.best).toBe(0);
  });

  it("checks the server's method against the server's hybrid lists", () => {
    // The fake server's hybrid is its keyword top 10: what score fusion gives at weight 0 only.
    const queries = [query("a", "tune", true), query("b", "heldout", false)];
    const ranked = [rankings("a", "keyword"), rankings("b", "semantic")];
    expect(scoreFusion(queries, ranked, 0).serverMatch).toEqual({
      weight: 0,
      identical: 2,
      of: 2,
    });
    expect(scoreFusion(queries, ranked, 1).serverMatch.identical).toBe(0);
  });
});

describe("scoreGroups", () => {
  it("splits the figures by depth and split", () => {
    const queries = [query("a", "tune", true), query("b", "heldout", false)];
    const groups = scoreGroups(queries, [rankings("a", "keyword"), rankings("b", "semantic")]);
    const of = (name: string) => groups.find((g) => g.group === name);
    expect(of("deep")?.modes.keyword.ndcg).toBe(1);
    expect(of("shallow")?.modes.keyword.ndcg).toBe(0);
    expect(of("heldout")?.modes.semantic.mrr).toBe(1);
    expect(of("all")?.queries).toBe(2);
    expect(of("all")?.modes.keyword.recall).toBe(0.5);
  });
});
