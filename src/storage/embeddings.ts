/**
 * Queries on an entry's embedding: its passage vectors (`passage_vectors`), its committed passage
 * set (`entry_passages`) and the set's header (`entry_embeddings`). Every write is guarded by the
 * entry still holding the content hash that was split, so a result for a deleted or since-updated
 * entry is dropped (the newer version is already queued).
 */
import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "./db";
import { type EntryKey, keyIn, readByKeys } from "./entry-keys";
import { type EmbeddingRow, entryEmbeddings, passageVectors } from "./schema";
import { encodeVector } from "./vector-codec";

/** The guard of every write: the entry exists and holds exactly `contentHash`. */
function entryHolds(kbName: string, entryId: string, contentHash: string): SQL {
  return sql`EXISTS (SELECT 1 FROM entries
                      WHERE kb_name = ${kbName} AND id = ${entryId}
                        AND content_hash = ${contentHash})`;
}

/** A vector computed for one passage of an entry's text `contentHash`. */
export interface PassageVectorWrite {
  kbName: string;
  entryId: string;
  contentHash: string;
  model: string;
  hash: string;
  vector: Float32Array;
  truncated: boolean;
}

/**
 * Stores a passage's vector as soon as it is embedded, before its set is committed: a huge entry
 * is embedded over several batches, and a retry after a crash reuses what was stored. Not yet
 * searchable (nothing in `entry_passages` points at it). Content-addressed, so writing it twice
 * is harmless.
 */
export function stagePassageVector(w: PassageVectorWrite, now: number): SQL {
  return sql`
    INSERT INTO passage_vectors
      (kb_name, entry_id, model, hash, dims, vector, truncated, created_at)
    SELECT ${w.kbName}, ${w.entryId}, ${w.model}, ${w.hash}, ${w.vector.length},
           ${encodeVector(w.vector)}, ${w.truncated ? 1 : 0}, ${now}
     WHERE ${entryHolds(w.kbName, w.entryId, w.contentHash)}
    ON CONFLICT DO NOTHING`;
}

/** A vector already stored for an entry. */
export interface StoredVector {
  kbName: string;
  entryId: string;
  hash: string;
  truncated: boolean;
  /** When it was embedded: before the entry was queued means kept from an earlier version. */
  createdAt: number;
}

/** The hashes of the vectors of `model` stored for these entries (whatever set they belong to). */
export async function getStoredVectorHashes(
  db: Db,
  model: string,
  keys: EntryKey[],
): Promise<StoredVector[]> {
  const rows = await readByKeys(keys, (chunk) =>
    db
      .select({
        kbName: passageVectors.kbName,
        entryId: passageVectors.entryId,
        hash: passageVectors.hash,
        truncated: passageVectors.truncated,
        createdAt: passageVectors.createdAt,
      })
      .from(passageVectors)
      .where(
        and(
          keyIn(passageVectors.kbName, passageVectors.entryId, chunk),
          eq(passageVectors.model, model),
        ),
      ),
  );
  return rows.map((r) => ({ ...r, truncated: r.truncated === 1 }));
}

/** One passage of a set to commit (its vector already stored under `hash`). */
export interface PassageRowWrite {
  seq: number;
  hash: string;
  headingPath: string[];
  start: number;
  end: number;
}

/** An entry's complete passage set, computed from its text `contentHash`. */
export interface PassageSetWrite {
  kbName: string;
  entryId: string;
  contentHash: string;
  model: string;
  dims: number;
  passages: PassageRowWrite[];
  truncated: boolean;
  embeddedAt: number;
}

/** Passages per INSERT: one JSON parameter each (D1 allows 100 parameters a statement). */
const PASSAGES_PER_STATEMENT = 200;

/**
 * The statements that commit a passage set, to run in one D1 batch (atomic) with the queue row's
 * `markDone`. The first is the header's upsert: it changes a row exactly when the entry still
 * holds the text that was split, and then every other statement takes effect too (same guard);
 * otherwise none does. The set replaces the previous one of its model whole, and the entry's
 * vectors of that model that no passage uses any more are deleted; the sets of models the index
 * keeps stay, the others go.
 */
export function commitPassageSet(w: PassageSetWrite): SQL[] {
  const holds = entryHolds(w.kbName, w.entryId, w.contentHash);
  const statements: SQL[] = [
    sql`
      INSERT INTO entry_embeddings
        (kb_name, entry_id, model, dims, content_hash, embedded_at, truncated, passages)
      SELECT ${w.kbName}, ${w.entryId}, ${w.model}, ${w.dims}, ${w.contentHash},
             ${w.embeddedAt}, ${w.truncated ? 1 : 0}, ${w.passages.length}
       WHERE ${holds}
      ON CONFLICT (kb_name, entry_id, model) DO UPDATE SET
        dims = excluded.dims, content_hash = excluded.content_hash,
        embedded_at = excluded.embedded_at, truncated = excluded.truncated,
        passages = excluded.passages`,
    sql`DELETE FROM entry_passages
         WHERE kb_name = ${w.kbName} AND entry_id = ${w.entryId} AND model = ${w.model}
           AND ${holds}`,
  ];
  for (let i = 0; i < w.passages.length; i += PASSAGES_PER_STATEMENT) {
    const rows = w.passages.slice(i, i + PASSAGES_PER_STATEMENT).map((p) => ({
      seq: p.seq,
      hash: p.hash,
      heading_path: JSON.stringify(p.headingPath),
      start: p.start,
      end: p.end,
    }));
    // Joined to the stored vectors: a passage never points at a vector that is not there.
    statements.push(sql`
      INSERT INTO entry_passages
        (kb_name, entry_id, seq, model, hash, heading_path, start, end, embedded_at)
      SELECT ${w.kbName}, ${w.entryId}, j.value ->> 'seq', ${w.model}, j.value ->> 'hash',
             j.value ->> 'heading_path', j.value ->> 'start', j.value ->> 'end', ${w.embeddedAt}
        FROM json_each(${JSON.stringify(rows)}) j
        JOIN passage_vectors v
          ON v.kb_name = ${w.kbName} AND v.entry_id = ${w.entryId} AND v.model = ${w.model}
         AND v.hash = j.value ->> 'hash'
       WHERE ${holds}`);
  }
  // Sets of a model the index does not keep (not serving, a migration's target or kept for
  // rollback: `index_models`) are replaced, as when an entry held one set.
  const unkept = sql`model <> ${w.model} AND model NOT IN (SELECT model FROM index_models)`;
  for (const table of [sql`entry_passages`, sql`passage_vectors`, sql`entry_embeddings`]) {
    statements.push(sql`
      DELETE FROM ${table}
       WHERE kb_name = ${w.kbName} AND entry_id = ${w.entryId} AND ${unkept} AND ${holds}`);
  }
  // Only this model's: another model's set, or its vectors staged for a set not yet committed
  // (a migration's), are not this set's to clean up.
  statements.push(sql`
    DELETE FROM passage_vectors
     WHERE kb_name = ${w.kbName} AND entry_id = ${w.entryId} AND model = ${w.model} AND ${holds}
       AND NOT EXISTS (SELECT 1 FROM entry_passages p
                        WHERE p.kb_name = passage_vectors.kb_name
                          AND p.entry_id = passage_vectors.entry_id
                          AND p.model = passage_vectors.model AND p.hash = passage_vectors.hash)`);
  return statements;
}

/** Deletes an entry's vector once the entry is gone (see `dequeueIfNoEntry`). */
export function deleteVectorIfNoEntry(kbName: string, entryId: string): SQL {
  return sql`
    DELETE FROM entry_embeddings
     WHERE kb_name = ${kbName} AND entry_id = ${entryId}
       AND NOT EXISTS (SELECT 1 FROM entries WHERE kb_name = ${kbName} AND id = ${entryId})`;
}

/** What is known about an entry's committed passage set. */
export type EmbeddingMeta = EmbeddingRow;

/**
 * The committed passage set's header for one entry, if any: the serving model's set, else its
 * newest set of another model.
 */
export async function getEmbeddingMeta(
  db: Db,
  kbName: string,
  entryId: string,
): Promise<EmbeddingMeta | undefined> {
  return db
    .select()
    .from(entryEmbeddings)
    .where(and(eq(entryEmbeddings.kbName, kbName), eq(entryEmbeddings.entryId, entryId)))
    .orderBy(
      desc(sql`${entryEmbeddings.model} = (SELECT model FROM index_models WHERE role = 'serving')`),
      desc(entryEmbeddings.embeddedAt),
    )
    .limit(1)
    .get();
}
