/**
 * Scores one run: nDCG@10, recall@10 and MRR@10 per search mode over groups of queries (all,
 * deep, shallow, tune, heldout), and offline sweeps of fusion methods over the server's keyword
 * and semantic lists, each method's weight picked on the `tune` part only and then reported on
 * `heldout`.
 */
import { fuseScores } from "../../src/search/fuse-scores.js";
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

/** One weight of a fusion sweep. */
export interface SweepPoint {
  /** Weight of the semantic list; the keyword list gets 1 − w. */
  semanticWeight: number;
  tuneNdcg: number;
  tuneDeepNdcg: number;
}

/** One fusion method, swept on `tune`, judged at its best weight on `heldout`. */
export interface MethodScores {
  id: string;
  name: string;
  sweep: SweepPoint[];
  best: number;
  /** nDCG@10 on `tune` at the best weight. */
  tuneNdcg: number;
  heldout: Figures;
}

/** The fusion methods compared offline, and the server's own figures beside them. */
export interface FusionScores {
  methods: MethodScores[];
  heldout: {
    keyword: Figures;
    semantic: Figures;
    serverHybrid: Figures;
    queries: number;
  };
  /**
   * Top-10 lists of the server's method (score fusion) at the weight the server ran with that are
   * identical to the server's own hybrid top 10: the offline sweep measures what the server does.
   */
  serverMatch: { weight: number; identical: number; of: number };
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

/** The sweep's weights: 0, 0.05, …, 1. */
export const SWEEP_WEIGHTS = Array.from({ length: 21 }, (_, i) => i / 20);

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

/** A fusion of one query's deep keyword and semantic lists at semantic weight `w`. */
type Fuse = (r: QueryRankings, w: number) => string[];

const rrf =
  (k: number): Fuse =>
  (r, w) =>
    weightedRrf(
      [
        { ranking: r.deep.keyword, weight: 1 - w },
        { ranking: r.deep.semantic, weight: w },
      ],
      k,
    );

const scored = (keys: string[], scores: number[]) =>
  keys.map((key, i) => ({ key, score: scores[i] ?? 0 }));

/** The server's hybrid (src/search/fuse-scores.ts) over the lists the server returned. */
const serverFusion: Fuse = (r, w) =>
  fuseScores(
    scored(r.deep.keyword, r.deepScores.keyword),
    scored(r.deep.semantic, r.deepScores.semantic),
    w,
  ).map((f) => f.key);

/** The methods compared; the last is what the server runs. */
export const FUSION_METHODS: { id: string; name: string; fuse: Fuse }[] = [
  {
    id: "rrf-60",
    name: "weighted reciprocal rank fusion, k = 60 (the earlier hybrid)",
    fuse: rrf(60),
  },
  { id: "rrf-10", name: "weighted reciprocal rank fusion, k = 10", fuse: rrf(10) },
  {
    id: "scores",
    name: "normalised score fusion (bm25 / best; cosine from rank 50 to best → 0–1): the server's hybrid",
    fuse: serverFusion,
  },
];

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
 * Sweeps each method's semantic weight on `tune`, picks its best (the lowest weight among equals,
 * so a tie favours keyword), and reports it on `heldout` beside keyword, semantic and the
 * server's hybrid. `serverWeight` is the weight the server's hybrid ran with.
 */
export function scoreFusion(
  queries: readonly EvalQuery[],
  rankings: readonly QueryRankings[],
  serverWeight: number,
): FusionScores {
  const all = joined(queries, rankings);
  const tune = all.filter(({ q }) => q.split === "tune");
  const heldout = all.filter(({ q }) => q.split === "heldout");
  const on = (ranking: (r: QueryRankings) => string[]) =>
    figures(heldout.map(({ q, r }) => ({ q, ranking: ranking(r) })));
  const methods = FUSION_METHODS.map(({ id, name, fuse }): MethodScores => {
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
    const best = sweep.reduce((a, b) => (b.tuneNdcg > a.tuneNdcg ? b : a));
    return {
      id,
      name,
      sweep,
      best: best.semanticWeight,
      tuneNdcg: best.tuneNdcg,
      heldout: on((r) => fuse(r, best.semanticWeight)),
    };
  });
  const identical = all.filter(({ r }) => {
    const fused = serverFusion(r, serverWeight).slice(0, SCORED_DEPTH);
    return fused.length === r.top.hybrid.length && fused.every((key, i) => key === r.top.hybrid[i]);
  }).length;
  return {
    methods,
    heldout: {
      keyword: on((r) => r.top.keyword),
      semantic: on((r) => r.top.semantic),
      serverHybrid: on((r) => r.top.hybrid),
      queries: heldout.length,
    },
    serverMatch: { weight: serverWeight, identical, of: all.length },
  };
}
