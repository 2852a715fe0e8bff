/**
 * Scores one run: nDCG@10, recall@10 and MRR@10 per search mode over groups of queries (all,
 * deep, shallow, tune, heldout), and the offline sweep of weighted reciprocal rank fusion whose
 * weight is picked on the `tune` part only and then reported on `heldout`.
 */
import { fixed } from "../lib/stats.js";
import { mean, ndcgAt, recallAt, reciprocalRankAt, weightedRrf } from "./metrics.js";
import type { EvalQuery } from "./query-set.js";
import { MODES, type Mode, type QueryRankings, SCORED_DEPTH } from "./searches.js";

/** Mean figures of one mode over one group of queries. */
export interface Figures {
  ndcg: number;
  recall: number;
  mrr: number;
}

/** One group of queries and its figures per mode. */
export interface GroupScores {
  group: string;
  queries: number;
  modes: Record<Mode, Figures>;
}

/** One weight of the fusion sweep. */
export interface SweepPoint {
  /** Weight of the semantic list; the keyword list gets 1 − w. */
  semanticWeight: number;
  tuneNdcg: number;
  tuneDeepNdcg: number;
}

/** The fusion tuned on `tune`, judged on `heldout`. */
export interface FusionScores {
  sweep: SweepPoint[];
  best: number;
  heldout: {
    fused: Figures;
    keyword: Figures;
    semantic: Figures;
    serverHybrid: Figures;
    queries: number;
  };
  /** Top-10 lists of the equal-weight offline fusion identical to the server's hybrid ones. */
  equalWeightMatchesServer: { identical: number; of: number };
}

/** Per query: nDCG@10 of each mode, and the answer entry's rank per mode (null if not in the top 10). */
export interface QueryScores {
  id: string;
  ndcg: Record<Mode, number>;
  answerRank: Record<Mode, number | null>;
}

type Pick = (q: EvalQuery) => boolean;
const GROUPS: [string, Pick][] = [
  ["all", () => true],
  ["deep", (q) => q.deep],
  ["shallow", (q) => !q.deep],
  ["tune", (q) => q.split === "tune"],
  ["heldout", (q) => q.split === "heldout"],
  ["heldout, deep", (q) => q.split === "heldout" && q.deep],
];

/** The sweep's weights: 0, 0.1, …, 1. */
export const SWEEP_WEIGHTS = Array.from({ length: 11 }, (_, i) => i / 10);

function figures(pairs: { ranking: string[]; q: EvalQuery }[]): Figures {
  return {
    ndcg: fixed(mean(pairs.map(({ ranking, q }) => ndcgAt(ranking, q.relevant, SCORED_DEPTH))), 4),
    recall: fixed(
      mean(pairs.map(({ ranking, q }) => recallAt(ranking, q.relevant, SCORED_DEPTH))),
      4,
    ),
    mrr: fixed(
      mean(pairs.map(({ ranking, q }) => reciprocalRankAt(ranking, q.relevant, SCORED_DEPTH))),
      4,
    ),
  };
}

/** Pairs each query with its rankings (by id); throws if one is missing. */
function joined(queries: readonly EvalQuery[], rankings: readonly QueryRankings[]) {
  const byId = new Map(rankings.map((r) => [r.id, r]));
  return queries.map((q) => {
    const r = byId.get(q.id);
    if (!r) throw new Error(`no rankings for query ${q.id}`);
    return { q, r };
  });
}

const fuse = (r: QueryRankings, w: number) =>
  weightedRrf([
    { ranking: r.deep.keyword, weight: 1 - w },
    { ranking: r.deep.semantic, weight: w },
  ]);

/** Figures per group and mode. */
export function scoreGroups(
  queries: readonly EvalQuery[],
  rankings: readonly QueryRankings[],
): GroupScores[] {
  const all = joined(queries, rankings);
  return GROUPS.map(([group, pick]) => {
    const members = all.filter(({ q }) => pick(q));
    const modes = Object.fromEntries(
      MODES.map((mode) => [
        mode,
        figures(members.map(({ q, r }) => ({ q, ranking: r.top[mode] }))),
      ]),
    ) as Record<Mode, Figures>;
    return { group, queries: members.length, modes };
  });
}

/** Per-query detail. */
export function scoreQueries(
  queries: readonly EvalQuery[],
  rankings: readonly QueryRankings[],
): QueryScores[] {
  return joined(queries, rankings).map(({ q, r }) => {
    const ndcg = {} as Record<Mode, number>;
    const answerRank = {} as Record<Mode, number | null>;
    for (const mode of MODES) {
      ndcg[mode] = fixed(ndcgAt(r.top[mode], q.relevant, SCORED_DEPTH), 4);
      const at = r.top[mode].indexOf(q.answer.entry);
      answerRank[mode] = at < 0 ? null : at + 1;
    }
    return { id: q.id, ndcg, answerRank };
  });
}

/**
 * Sweeps the semantic weight on `tune`, picks the best (the lowest weight among equals, so a tie
 * favours keyword), and reports it on `heldout` beside keyword, semantic and the server's hybrid.
 */
export function scoreFusion(
  queries: readonly EvalQuery[],
  rankings: readonly QueryRankings[],
): FusionScores {
  const all = joined(queries, rankings);
  const tune = all.filter(({ q }) => q.split === "tune");
  const heldout = all.filter(({ q }) => q.split === "heldout");
  const ndcgOf = (members: typeof all, w: number) =>
    fixed(mean(members.map(({ q, r }) => ndcgAt(fuse(r, w), q.relevant, SCORED_DEPTH))), 4);
  const sweep = SWEEP_WEIGHTS.map((w) => ({
    semanticWeight: w,
    tuneNdcg: ndcgOf(tune, w),
    tuneDeepNdcg: ndcgOf(
      tune.filter(({ q }) => q.deep),
      w,
    ),
  }));
  const best = sweep.reduce((a, b) => (b.tuneNdcg > a.tuneNdcg ? b : a)).semanticWeight;
  const on = (ranking: (r: QueryRankings) => string[]) =>
    figures(heldout.map(({ q, r }) => ({ q, ranking: ranking(r) })));
  const identical = all.filter(({ r }) => {
    const fused = fuse(r, 0.5).slice(0, SCORED_DEPTH);
    return fused.length === r.top.hybrid.length && fused.every((key, i) => key === r.top.hybrid[i]);
  }).length;
  return {
    sweep,
    best,
    heldout: {
      fused: on((r) => fuse(r, best)),
      keyword: on((r) => r.top.keyword),
      semantic: on((r) => r.top.semantic),
      serverHybrid: on((r) => r.top.hybrid),
      queries: heldout.length,
    },
    equalWeightMatchesServer: { identical, of: all.length },
  };
}
