/** Semantic ranking of entries by their passages. */
import { entryKey } from "../storage/entry-keys";
import type { PassageHit, VectorStore } from "../vectors/vector-store";

/** Passages fetched per entry wanted: entries with several close passages use up more. */
const PASSAGES_PER_ENTRY = 4;
/**
 * An entry with several passages close to its best gains this much per such passage (at most
 * two): a note that treats the query throughout edges out one that mentions it once. Small
 * enough never to lift a clearly worse best passage over a better one.
 */
const MULTI_PASSAGE_BONUS = 0.01;
const CLOSE_TO_BEST = 0.05;
const MAX_BONUS_PASSAGES = 2;

/** An entry ranked by its best passage (`seq`). */
export interface EntryHit {
  kbName: string;
  entryId: string;
  score: number;
  seq: number;
}

/** Groups nearest passages by entry: best passage's score plus the small multi-passage bonus. */
function rankPassages(passages: PassageHit[]): EntryHit[] {
  const byEntry = new Map<string, { hit: EntryHit; best: number; close: number }>();
  // Passages arrive best first, so an entry's first is its best.
  for (const p of passages) {
    const key = entryKey(p.kbName, p.entryId);
    const seen = byEntry.get(key);
    if (!seen) {
      byEntry.set(key, {
        hit: { kbName: p.kbName, entryId: p.entryId, score: p.score, seq: p.seq },
        best: p.score,
        close: 0,
      });
    } else if (seen.best - p.score <= CLOSE_TO_BEST && seen.close < MAX_BONUS_PASSAGES) {
      seen.close++;
      seen.hit.score += MULTI_PASSAGE_BONUS;
    }
  }
  return [...byEntry.values()].map((e) => e.hit).sort((a, b) => b.score - a.score);
}

/** The `want` entries nearest the query under `model`, each with its best passage. */
export async function rankByBestPassage(
  store: VectorStore,
  model: string,
  query: Float32Array,
  want: number,
  kb: string | undefined,
): Promise<EntryHit[]> {
  const passages = await store.query({
    vector: query,
    model,
    kb,
    topK: want * PASSAGES_PER_ENTRY + 10,
  });
  return rankPassages(passages).slice(0, want);
}
