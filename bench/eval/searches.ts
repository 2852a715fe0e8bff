/**
 * Runs every query of the set against the server's search API: keyword, semantic and hybrid at
 * the page size that is scored (10), plus deeper keyword and semantic lists for tuning the fusion
 * offline. Results are kept as `kb/id` keys; whether results carried a passage, and the model the
 * search answered with, are recorded as the server said them.
 */
import { ok } from "../../src/contract/client.js";
import type { SearchResult } from "../../src/shared/api-types.js";
import type { BenchClient } from "../lib/client.js";
import type { EvalQuery } from "./query-set.js";

/** The search modes the server offers. */
export const MODES = ["keyword", "semantic", "hybrid"] as const;
/** One search mode. */
export type Mode = (typeof MODES)[number];

/** The page size that is scored. */
export const SCORED_DEPTH = 10;
/**
 * The depth of the keyword and semantic lists fused offline: what the server's hybrid fuses for a
 * page of 10 (the page plus 50 more of each list), so the offline fusion at equal weights can be
 * checked against the server's own hybrid ranking.
 */
export const FUSION_DEPTH = SCORED_DEPTH + 50;

/** What one query got. */
export interface QueryRankings {
  id: string;
  /** Rankings at {@link SCORED_DEPTH}, per mode. */
  top: Record<Mode, string[]>;
  /** Keyword and semantic rankings at {@link FUSION_DEPTH}. */
  deep: { keyword: string[]; semantic: string[] };
  /**
   * The server's score of each key of `deep` (same order): keyword −bm25, semantic cosine of the
   * best passage (plus its multi-passage bonus). What score-based fusions are measured on offline.
   */
  deepScores: { keyword: number[]; semantic: number[] };
}

/** What the search answers said about the server, over all queries. */
export interface SearchFacts {
  /** Distinct `model` values the semantic and hybrid answers named. */
  models: string[];
  /** Whether every semantic answer said it was semantic (false for `hash`). */
  semantic: boolean;
  /** Semantic or hybrid results that carried a `passage`, of all such results. */
  passageResults: number;
  results: number;
}

/** Runs every query; sequential, so the figures do not depend on the server's concurrency. */
export async function runSearches(
  api: BenchClient,
  queries: readonly EvalQuery[],
): Promise<{ rankings: QueryRankings[]; facts: SearchFacts }> {
  const models = new Set<string>();
  let semantic = true;
  let passageResults = 0;
  let results = 0;
  const search = async (q: string, mode: Mode, limit: number): Promise<SearchResult[]> => {
    const answer = await ok(api.http.api.search.$get({ query: { q, mode, limit: String(limit) } }));
    if (mode !== "keyword") {
      if (answer.model) models.add(answer.model);
      if (answer.semantic !== true) semantic = false;
      results += answer.results.length;
      passageResults += answer.results.filter((r) => r.passage !== undefined).length;
    }
    return answer.results;
  };
  const keys = (hits: SearchResult[]) => hits.map((r) => `${r.kb_name}/${r.id}`);
  const rankings: QueryRankings[] = [];
  for (const q of queries) {
    const top = {
      keyword: keys(await search(q.query, "keyword", SCORED_DEPTH)),
      semantic: keys(await search(q.query, "semantic", SCORED_DEPTH)),
      hybrid: keys(await search(q.query, "hybrid", SCORED_DEPTH)),
    };
    const keyword = await search(q.query, "keyword", FUSION_DEPTH);
    const semantic = await search(q.query, "semantic", FUSION_DEPTH);
    rankings.push({
      id: q.id,
      top,
      deep: { keyword: keys(keyword), semantic: keys(semantic) },
      deepScores: { keyword: keyword.map((r) => r.score), semantic: semantic.map((r) => r.score) },
    });
  }
  return { rankings, facts: { models: [...models], semantic, passageResults, results } };
}
