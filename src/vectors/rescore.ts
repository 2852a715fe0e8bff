/**
 * The second stage of the in-isolate index: sign codes pre-select candidates, and these are
 * scored exactly (cosine over their float32 vectors) to keep the best `k`.
 */
import type { PassageKey } from "./binary-codes.js";
import { cosine } from "./cosine.js";
import type { PassageHit } from "./vector-store.js";

/**
 * Candidates rescored per passage asked for: sign codes rank the right passage high but not
 * exactly (measured recall@10 on real vectors in the README), so a few times `k` are rescored.
 */
const RESCORE_FACTOR = 4;
/** Fewest candidates rescored, whatever `k`. */
const MIN_RESCORE = 100;

/** How many candidates to rescore exactly for the best `k`. */
export function rescoreDepth(k: number): number {
  return Math.max(k * RESCORE_FACTOR, MIN_RESCORE);
}

/** Scores candidates exactly and keeps the best `k` (a candidate without a vector is gone). */
export function rescore(
  query: Float32Array,
  candidates: PassageKey[],
  vectors: { kbName: string; entryId: string; seq: number; vector: Float32Array }[],
  k: number,
): PassageHit[] {
  const wanted = new Set(candidates.map((c) => `${c.kbName}\u0000${c.entryId}\u0000${c.seq}`));
  return vectors
    .filter((v) => wanted.has(`${v.kbName}\u0000${v.entryId}\u0000${v.seq}`))
    .map((v) => ({
      kbName: v.kbName,
      entryId: v.entryId,
      seq: v.seq,
      score: cosine(query, v.vector),
    }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}
