import { describe, expect, it } from "vitest";
import {
  mean,
  ndcgAt,
  recallAt,
  reciprocalRankAt,
  weightedRrf,
} from "../../../bench/eval/metrics.js";

// Hand-computed: log2(3) = 1.5849625, so 2/log2(3) = 1.2618595 and 1/log2(3) = 0.6309298.
const judged = { "kb/a": 2, "kb/b": 1 };
const IDEAL = 2 + 0.6309298; // a at rank 1, b at rank 2

describe("nDCG@k", () => {
  it("is 1 for the ideal order and 0 with nothing relevant retrieved", () => {
    expect(ndcgAt(["kb/a", "kb/b"], judged, 10)).toBeCloseTo(1, 6);
    expect(ndcgAt(["kb/x", "kb/y"], judged, 10)).toBe(0);
    expect(ndcgAt([], judged, 10)).toBe(0);
  });

  it("discounts by log2(rank + 1) with linear gain", () => {
    // x, a, b: 0 + 2/log2(3) + 1/log2(4)
    expect(ndcgAt(["kb/x", "kb/a", "kb/b"], judged, 10)).toBeCloseTo((1.2618595 + 0.5) / IDEAL, 6);
    // b, a: 1 + 2/log2(3)
    expect(ndcgAt(["kb/b", "kb/a"], judged, 10)).toBeCloseTo((1 + 1.2618595) / IDEAL, 6);
  });

  it("ignores places beyond k, and the ideal is cut at k too", () => {
    expect(ndcgAt(["kb/x", "kb/y", "kb/a"], judged, 2)).toBe(0);
    // k = 1: ideal is a alone (2); b at rank 1 gains 1.
    expect(ndcgAt(["kb/b", "kb/a"], judged, 1)).toBeCloseTo(0.5, 6);
  });

  it("counts a repeated key once", () => {
    expect(ndcgAt(["kb/a", "kb/a"], judged, 10)).toBeCloseTo(2 / IDEAL, 6);
  });

  it("is 0 when nothing is judged relevant", () => {
    expect(ndcgAt(["kb/a"], {}, 10)).toBe(0);
  });
});

describe("recall@k", () => {
  const three = { "kb/a": 2, "kb/b": 1, "kb/c": 1 };
  it("is the share of relevant entries in the first k places", () => {
    expect(recallAt(["kb/a", "kb/x", "kb/c"], three, 2)).toBeCloseTo(1 / 3, 6);
    expect(recallAt(["kb/a", "kb/x", "kb/c"], three, 3)).toBeCloseTo(2 / 3, 6);
    expect(recallAt(["kb/c", "kb/b", "kb/a"], three, 10)).toBe(1);
  });
});

describe("reciprocal rank@k", () => {
  it("is 1 / the rank of the first relevant entry, any grade, within k", () => {
    expect(reciprocalRankAt(["kb/x", "kb/y", "kb/b"], judged, 10)).toBeCloseTo(1 / 3, 6);
    expect(reciprocalRankAt(["kb/a"], judged, 10)).toBe(1);
    expect(reciprocalRankAt(["kb/x", "kb/y", "kb/b"], judged, 2)).toBe(0);
  });

  it("averages to MRR", () => {
    expect(mean([1, 1 / 3, 0])).toBeCloseTo(4 / 9, 6);
    expect(mean([])).toBe(0);
  });
});

describe("weighted reciprocal rank fusion (k = 60)", () => {
  const keyword = ["a", "b", "c"];
  const semantic = ["c", "d"];

  it("sums weight / (60 + rank) and breaks ties by best rank, then list order", () => {
    // a 0.5/61, b 0.5/62, c 0.5/63 + 0.5/61, d 0.5/62 (ties b: same best rank 2, earlier list).
    expect(
      weightedRrf([
        { ranking: keyword, weight: 0.5 },
        { ranking: semantic, weight: 0.5 },
      ]),
    ).toEqual(["c", "a", "b", "d"]);
  });

  it("moves with the weights", () => {
    // a 0.2/61 = .00328, b 0.2/62 = .00323, c 0.2/63 + 0.8/61 = .01629, d 0.8/62 = .01290
    expect(
      weightedRrf([
        { ranking: keyword, weight: 0.2 },
        { ranking: semantic, weight: 0.8 },
      ]),
    ).toEqual(["c", "d", "a", "b"]);
  });

  it("returns one list unchanged when the other weighs 0", () => {
    expect(
      weightedRrf([
        { ranking: keyword, weight: 1 },
        { ranking: semantic, weight: 0 },
      ]),
    ).toEqual(keyword);
    expect(
      weightedRrf([
        { ranking: keyword, weight: 0 },
        { ranking: semantic, weight: 1 },
      ]),
    ).toEqual(semantic);
  });

  it("uses the k it is given", () => {
    // k = 0: a 1/1 (keyword); d 2/2 = 1 from semantic at rank 2 ties a; a has the better rank.
    expect(
      weightedRrf(
        [
          { ranking: ["a", "b"], weight: 1 },
          { ranking: ["c", "d"], weight: 2 },
        ],
        0,
      ),
    ).toEqual(["c", "a", "d", "b"]);
  });
});
