/**
 * Ranking metrics of the retrieval evaluation, and the weighted reciprocal rank fusion it tunes
 * offline. A ranking is a list of result keys (`kb/id`), best first; relevance judgments map a
 * key to a grade (2 = the note that answers the query, 1 = another note that also answers it;
 * absent = not relevant).
 */

/** Graded relevance judgments of one query: key → grade (> 0). */
export type Judgments = Readonly<Record<string, number>>;

const gradeOf = (judgments: Judgments, key: string): number => judgments[key] ?? 0;

/** Discounted cumulative gain of the first `k` places, with linear gain: Σ grade / log2(rank + 1). */
function dcg(grades: readonly number[], k: number): number {
  let sum = 0;
  for (const [i, grade] of grades.slice(0, k).entries()) sum += grade / Math.log2(i + 2);
  return sum;
}

/**
 * nDCG@k: the ranking's DCG over the best possible DCG (every judged entry, highest grade first).
 * 0 when nothing is judged relevant. A key repeated in the ranking counts once, where it first
 * appears, so a ranking can never score above 1.
 */
export function ndcgAt(ranking: readonly string[], judgments: Judgments, k: number): number {
  const ideal = dcg(
    Object.values(judgments)
      .filter((g) => g > 0)
      .sort((a, b) => b - a),
    k,
  );
  if (ideal === 0) return 0;
  const seen = new Set<string>();
  const grades = ranking.map((key) => {
    if (seen.has(key)) return 0;
    seen.add(key);
    return gradeOf(judgments, key);
  });
  return dcg(grades, k) / ideal;
}

/** recall@k: the share of the relevant entries (any grade) found in the first `k` places. */
export function recallAt(ranking: readonly string[], judgments: Judgments, k: number): number {
  const relevant = Object.keys(judgments).filter((key) => gradeOf(judgments, key) > 0);
  if (relevant.length === 0) return 0;
  const top = new Set(ranking.slice(0, k));
  return relevant.filter((key) => top.has(key)).length / relevant.length;
}

/** Reciprocal rank of the first relevant entry (any grade) in the first `k` places; 0 if none. */
export function reciprocalRankAt(
  ranking: readonly string[],
  judgments: Judgments,
  k: number,
): number {
  const index = ranking.slice(0, k).findIndex((key) => gradeOf(judgments, key) > 0);
  return index < 0 ? 0 : 1 / (index + 1);
}

/** One ranked list to fuse and its weight. */
export interface WeightedList {
  ranking: readonly string[];
  weight: number;
}

/** The reciprocal rank fusion constant the server uses (k = 60). */
export const RRF_K = 60;

/**
 * Weighted reciprocal rank fusion: score(key) = Σ weight / (k + rank), rank counted from 1 in
 * each list where the key appears. Keys that score 0 (only in lists of weight 0) are dropped, so
 * weight 0 removes a list entirely and a single list of positive weight comes back unchanged.
 * Ties go to the key with the better best rank, then to the earlier list, then by key, so the
 * result never depends on Map order.
 */
export function weightedRrf(lists: readonly WeightedList[], k = RRF_K): string[] {
  const scores = new Map<string, { score: number; bestRank: number; firstList: number }>();
  for (const [listIndex, list] of lists.entries()) {
    const seen = new Set<string>();
    for (const [i, key] of list.ranking.entries()) {
      const rank = i + 1;
      const entry = scores.get(key) ?? {
        score: 0,
        bestRank: Number.POSITIVE_INFINITY,
        firstList: listIndex,
      };
      // A key repeated within one list counts at its first (best) place only.
      if (!seen.has(key)) entry.score += list.weight / (k + rank);
      seen.add(key);
      entry.bestRank = Math.min(entry.bestRank, rank);
      scores.set(key, entry);
    }
  }
  return [...scores.entries()]
    .filter(([, s]) => s.score > 0)
    .sort(
      ([ka, a], [kb, b]) =>
        b.score - a.score ||
        a.bestRank - b.bestRank ||
        a.firstList - b.firstList ||
        (ka < kb ? -1 : ka > kb ? 1 : 0),
    )
    .map(([key]) => key);
}

/** Arithmetic mean; 0 for an empty list (a group with no queries is reported with its count). */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
