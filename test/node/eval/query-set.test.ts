import { describe, expect, it } from "vitest";
import {
  kbOf,
  loadQuerySet,
  parseQuerySet,
  quickSubset,
  sharesTitleWords,
} from "../../../bench/eval/query-set.js";

describe("the committed query set", () => {
  it("meets the brief: >= 80 queries over >= 5 KBs, half deep, a third held out", async () => {
    const set = await loadQuerySet();
    expect(set.queries.length).toBeGreaterThanOrEqual(80);
    const kbs = new Set(set.queries.map((q) => kbOf(q.answer.entry)));
    expect(kbs.size).toBeGreaterThanOrEqual(5);
    const deep = set.queries.filter((q) => q.deep).length;
    expect(deep * 2).toBeGreaterThanOrEqual(set.queries.length);
    const heldout = set.queries.filter((q) => q.split === "heldout").length / set.queries.length;
    expect(heldout).toBeGreaterThan(0.28);
    expect(heldout).toBeLessThan(0.38);
  });
});

const valid = {
  about: "",
  corpus: "c",
  kbs: ["k"],
  deepFrom: 1200,
  queries: [
    {
      id: "q1",
      query: "something",
      relevant: { "k/a": 2, "k/b": 1 },
      answer: { entry: "k/a", offset: 1300, evidence: "the answer text" },
      deep: true,
      split: "tune",
    },
  ],
};

describe("parseQuerySet", () => {
  it("accepts a well-formed set", () => {
    expect(parseQuerySet(valid).queries).toHaveLength(1);
  });

  it("refuses deep disagreeing with the offset, an ungraded answer, and an unlisted KB", () => {
    const q = valid.queries[0];
    const broken = (change: object) => ({ ...valid, queries: [{ ...q, ...change }] });
    expect(() => parseQuerySet(broken({ deep: false }))).toThrow(/deep is false/);
    expect(() => parseQuerySet(broken({ relevant: { "k/a": 1 } }))).toThrow(/grade 2/);
    expect(() => parseQuerySet(broken({ relevant: { "k/a": 2, "other/x": 1 } }))).toThrow(
      /not in a listed KB/,
    );
    expect(() => parseQuerySet({ ...valid, queries: [q, q] })).toThrow(/duplicate id/);
  });
});

describe("quickSubset", () => {
  it("keeps only queries judged wholly inside the KBs, spread over the set", async () => {
    const set = await loadQuerySet();
    const quick = quickSubset(set, ["goldratt", "reinertsen"], 10);
    expect(quick.queries).toHaveLength(10);
    for (const q of quick.queries) {
      for (const key of Object.keys(q.relevant))
        expect(["goldratt", "reinertsen"]).toContain(kbOf(key));
    }
    expect(new Set(quick.queries.map((q) => kbOf(q.answer.entry))).size).toBe(2);
  });
});

describe("sharesTitleWords", () => {
  it("compares content words only", () => {
    expect(sharesTitleWords("the cost of waiting", "Cost of Delay")).toBe(true);
    expect(sharesTitleWords("what a week of lateness costs", "Cost of Delay")).toBe(false);
    expect(sharesTitleWords("the and of", "The Goal")).toBe(false);
  });
});
