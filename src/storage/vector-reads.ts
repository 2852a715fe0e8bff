/**
 * Reads of committed passage vectors (float32, from `passage_vectors` through `entry_passages`),
 * for exact scoring: the in-isolate index rescores its binary candidates with them, both vector
 * stores find a keyword hit's nearest passage with them, and the Vectorize store sends reused
 * passages' vectors with them. Keys travel as one JSON parameter (D1 allows 100 bound parameters
 * a statement), joined by primary key: CROSS JOIN keeps the key list the outer loop (a plain
 * JOIN let SQLite scan every passage and probe the JSON for each, seconds at 5k passages).
 */
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "./db";
import type { EntryKey } from "./entry-keys";
import { decodeVectorHex } from "./vector-codec";

/** A committed passage's vector. */
export interface PassageVector {
  kbName: string;
  entryId: string;
  seq: number;
  vector: Float32Array;
}

type Row = { kb_name: string; entry_id: string; seq: number; vector: string };

/** Keys per statement: a page of vectors stays a few hundred KiB of hex. */
const KEYS_PER_READ = 500;

async function readVectors(db: Db, keys: unknown[], join: (keys: string) => SQL) {
  const out: PassageVector[] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_READ) {
    // hex(): D1 turns a BLOB into an array of numbers, one per byte; text is far cheaper.
    const rows = await db.all<Row>(join(JSON.stringify(keys.slice(i, i + KEYS_PER_READ))));
    for (const r of rows) {
      out.push({
        kbName: r.kb_name,
        entryId: r.entry_id,
        seq: r.seq,
        vector: decodeVectorHex(r.vector),
      });
    }
  }
  return out;
}

/** The vectors of these committed passages of `model` (passages no longer committed are absent). */
export function getCommittedVectors(
  db: Db,
  model: string,
  keys: { kbName: string; entryId: string; seq: number }[],
): Promise<PassageVector[]> {
  return readVectors(
    db,
    keys.map((k) => [k.kbName, k.entryId, k.seq]),
    (json) => sql`
      SELECT p.kb_name, p.entry_id, p.seq, hex(v.vector) AS vector
        FROM json_each(${json}) j
        CROSS JOIN entry_passages p ON p.kb_name = j.value ->> 0 AND p.entry_id = j.value ->> 1
                                   AND p.seq = j.value ->> 2
        JOIN passage_vectors v ON v.kb_name = p.kb_name AND v.entry_id = p.entry_id
                              AND v.model = p.model AND v.hash = p.hash
       WHERE p.model = ${model}`,
  );
}

/** Every committed passage vector of `model` of these entries. */
export function getEntryVectors(db: Db, model: string, keys: EntryKey[]): Promise<PassageVector[]> {
  return readVectors(
    db,
    keys.map((k) => [k.kbName, k.id]),
    (json) => sql`
      SELECT p.kb_name, p.entry_id, p.seq, hex(v.vector) AS vector
        FROM json_each(${json}) j
        CROSS JOIN entry_passages p ON p.kb_name = j.value ->> 0 AND p.entry_id = j.value ->> 1
        JOIN passage_vectors v ON v.kb_name = p.kb_name AND v.entry_id = p.entry_id
                              AND v.model = p.model AND v.hash = p.hash
       WHERE p.model = ${model}`,
  );
}

/**
 * Reads an entry's committed set (its model and passage count). Put in the same D1 batch before
 * a statement that replaces or deletes the set, it returns the set that went.
 */
export function readPassageSet(kbName: string, entryId: string): SQL {
  return sql`
    SELECT model, count(*) AS passages FROM entry_passages
     WHERE kb_name = ${kbName} AND entry_id = ${entryId} GROUP BY model`;
}

/** A `readPassageSet` result; null when the entry had no set. */
export function passageSetOf(
  rows: Record<string, unknown>[] | undefined,
): { model: string; passages: number } | null {
  const row = rows?.[0];
  return row ? { model: String(row.model), passages: Number(row.passages) } : null;
}

/** Entries with a committed set of `model` (in one KB, or all), from the status counts. */
export async function countEntriesWithVectors(db: Db, model: string, kb?: string): Promise<number> {
  const row = await db.get<{ n: number | null }>(sql`
    SELECT sum(n) AS n FROM status_counts
     WHERE metric = 'vectors' AND model = ${model}
       ${kb === undefined ? sql`` : sql`AND kb_name = ${kb}`}`);
  return Number(row?.n ?? 0);
}

/** Committed passages of `model` (or of every model), from the status counts. */
export async function countPassages(db: Db, model?: string): Promise<number> {
  const row = await db.get<{ n: number | null }>(sql`
    SELECT sum(n) AS n FROM status_counts
     WHERE metric = 'passages' ${model === undefined ? sql`` : sql`AND model = ${model}`}`);
  return Number(row?.n ?? 0);
}
