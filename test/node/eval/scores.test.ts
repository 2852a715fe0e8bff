import { describe, expect, it } from "vitest";
import type { EvalQuery } from "../../../bench/eval/query-set.js";
import { scoreFusion, scoreGroups } from "../../../bench/eval/scores.js";
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
  };
}

describe("scoreFusion", () => {
  it("picks the weight on tune only, then reports it on heldout", () => {
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
    const fusion = scoreFusion(queries, ranked);
    expect(fusion.best).toBe(1);
    expect(fusion.sweep.find((p) => p.semanticWeight === 1)?.tuneNdcg).toBe(1);
    expect(fusion.sweep.find((p) => p.semanticWeight === 0)?.tuneNdcg).toBe(0);
    expect(fusion.heldout.queries).toBe(1);
    expect(fusion.heldout.fused.ndcg).toBe(0);
    expect(fusion.heldout.keyword.ndcg).toBe(1);
  });

  it("breaks a tie toward keyword", () => {
    const fusion = scoreFusion([query("t1", "tune", true)], [rankings("t1", "keyword")]);
    expect(fusion.best).toBe(0);
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
