/** Reads what a batch write compares against, without the bodies. */
import type { Db } from "./db";
import { type EntryKey, keyIn, readByKeys } from "./entry-keys";
import { entries } from "./schema";

/**
 * An entry's fields minus its body. The body is not needed to tell an unchanged entry: with the
 * title and summary equal, equal content hashes mean equal bodies (the hash covers all three).
 * Leaving it out keeps a 500-entry comparison small however large the stored bodies are.
 */
export interface EntryDigest {
  kbName: string;
  id: string;
  entryType: string;
  title: string;
  summary: string;
  tags: string;
  importance: number;
  metadata: string;
  createdAt: string;
  contentHash: string;
  version: number;
}

/** The digests of the entries that exist among `keys`. */
export async function getEntryDigests(db: Db, keys: EntryKey[]): Promise<EntryDigest[]> {
  return readByKeys(keys, (chunk) =>
    db
      .select({
        kbName: entries.kbName,
        id: entries.id,
        entryType: entries.entryType,
        title: entries.title,
        summary: entries.summary,
        tags: entries.tags,
        importance: entries.importance,
        metadata: entries.metadata,
        createdAt: entries.createdAt,
        contentHash: entries.contentHash,
        version: entries.version,
      })
      .from(entries)
      .where(keyIn(entries.kbName, entries.id, chunk)),
  );
}
