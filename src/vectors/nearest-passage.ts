/**
 * The passage of an entry nearest a query, by exact cosine over its committed float32 vectors in
 * D1: what a hybrid result found by keywords alone shows as its passage. The same for every
 * vector store (a store's own query ranks across entries, not within one).
 */
import type { Db } from "../storage/db";
import { type EntryKey, entryKey } from "../storage/entry-keys";
import { getEntryVectors } from "../storage/vector-reads";
import { cosine } from "./cosine";
import type { PassageHit } from "./vector-store";

/** Each entry's passage of `model` nearest `query`, by entry key (`kb\0id`). */
export async function nearestPassages(
  db: Db,
  model: string,
  query: Float32Array,
  entries: EntryKey[],
): Promise<Map<string, PassageHit>> {
  const best = new Map<string, PassageHit>();
  if (entries.length === 0) return best;
  for (const v of await getEntryVectors(db, model, entries)) {
    const key = entryKey(v.kbName, v.entryId);
    const score = cosine(query, v.vector);
    const seen = best.get(key);
    if (!seen || score > seen.score) {
      best.set(key, { kbName: v.kbName, entryId: v.entryId, seq: v.seq, score });
    }
  }
  return best;
}
