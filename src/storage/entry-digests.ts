/** Reads what a batch write compares against, without the bodies. */
import { sql } from "drizzle-orm";
import type { Db } from "./db";
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
}

/** D1 allows 100 bound parameters per statement; two per key. */
const KEYS_PER_QUERY = 45;

/** The digests of the entries that exist among `keys`. */
export async function getEntryDigests(
  db: Db,
  keys: { kbName: string; id: string }[],
): Promise<EntryDigest[]> {
  const out: EntryDigest[] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    const chunk = keys.slice(i, i + KEYS_PER_QUERY);
    const rows = await db
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
      })
      .from(entries)
      .where(
        sql`(${entries.kbName}, ${entries.id}) IN (VALUES ${sql.join(
          chunk.map((k) => sql`(${k.kbName}, ${k.id})`),
          sql`, `,
        )})`,
      );
    out.push(...rows);
  }
  return out;
}
