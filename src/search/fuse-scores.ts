/**
 * Hybrid search's fusion: a convex combination of the keyword and semantic scores, each first put
 * on a scale of its own list (measured against weighted reciprocal rank fusion on the retrieval
 * eval, `bench/results/eval.md`: fusing scores keeps how far apart two results are, which ranks
 * throw away, and a strong keyword match is no longer outvoted by a middling semantic one).
 *
 * - keyword: bm25 over the list's best bm25, so the best keyword match scores 1;
 * - semantic: cosine rescaled so the best scores 1 and the entry at {@link SEMANTIC_REFERENCE_RANK}
 *   (or the list's last, if shorter) scores 0, negatives clipped to 0. Cosines of one model crowd
 *   into a narrow band that differs per model and per query; its top and a fixed deep rank set
 *   the scale without knowing the model, and every entry below that rank adds nothing, so a
 *   semantic list cut deeper than the reference rank gives the same scores.
 *
 * fused = (1 − w) · keyword + w · semantic. An entry missing from a list scores 0 there. With
 * w = 0 the semantic list is ignored and the result is the keyword list, in its order.
 */

/** One scored result of a list (best first); `key` names the entry. */
export interface ScoredKey {
  key: string;
  score: number;
}

/** One fused result: the combined score and the two normalised scores it was made of. */
export interface FusedKey {
  key: string;
  score: number;
  keyword: number;
  semantic: number;
}

/**
 * The semantic list's rank whose score maps to 0. Deep enough that the entries a weak model
 * still ranks well keep some weight, shallow enough to sit inside the list the server fetches
 * for any page (`FUSION_DEPTH` more than the page).
 */
export const SEMANTIC_REFERENCE_RANK = 50;

/** A scale for one list: `(score − floor) / (top − floor)`, or all 0 if the list carries no spread. */
function scaler(list: readonly ScoredKey[], floorRank: number | null): (score: number) => number {
  const top = list[0]?.score ?? 0;
  const floor = floorRank === null ? 0 : (list[Math.min(floorRank, list.length) - 1]?.score ?? top);
  const span = top - floor;
  if (!(span > 0)) return () => 0;
  return (score) => Math.min(1, Math.max(0, (score - floor) / span));
}

/**
 * Fuses a keyword list (bm25, higher is better) and a semantic list (cosine), both best first,
 * with weight `semanticWeight` (0–1) on the semantic side. Best first; equal scores keep the
 * keyword list's order, then the semantic list's.
 */
export function fuseScores(
  keyword: readonly ScoredKey[],
  semantic: readonly ScoredKey[],
  semanticWeight: number,
): FusedKey[] {
  const w = Math.min(1, Math.max(0, semanticWeight));
  const fused = new Map<string, FusedKey>();
  const keywordScale = scaler(keyword, null);
  for (const { key, score } of keyword) {
    if (fused.has(key)) continue;
    const k = keywordScale(score);
    fused.set(key, { key, score: (1 - w) * k, keyword: k, semantic: 0 });
  }
  if (w > 0) {
    const semanticScale = scaler(semantic, SEMANTIC_REFERENCE_RANK);
    const seen = new Set<string>();
    for (const { key, score } of semantic) {
      // A key repeated in the list counts at its first (best) place only.
      if (seen.has(key)) continue;
      seen.add(key);
      const s = semanticScale(score);
      const prior = fused.get(key);
      if (prior) {
        prior.semantic = s;
        prior.score += w * s;
      } else fused.set(key, { key, score: w * s, keyword: 0, semantic: s });
    }
  }
  // Array.prototype.sort is stable: ties keep the insertion order described above.
  return [...fused.values()].sort((a, b) => b.score - a.score);
}
