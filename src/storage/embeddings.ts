/** Queries on `entry_embeddings`. */
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "./db";
import { type EmbeddingRow, entryEmbeddings } from "./schema";
import { encodeVector } from "./vector-codec";

/** A computed vector and what it was computed from. */
export interface VectorWrite {
  kbName: string;
  entryId: string;
  model: string;
  contentHash: string;
  vector: Float32Array;
  truncated: boolean;
  embeddedAt: number;
}

/**
 * Stores a vector only if the entry still exists with exactly the hash that was embedded: a
 * result for a deleted or since-updated entry is dropped (the newer version is already queued).
 */
export function writeVectorIfCurrent(w: VectorWrite): SQL {
  const blob = encodeVector(w.vector);
  return sql`
    INSERT INTO entry_embeddings
      (kb_name, entry_id, model, dims, content_hash, vector, embedded_at, truncated)
    SELECT ${w.kbName}, ${w.entryId}, ${w.model}, ${w.vector.length}, ${w.contentHash},
           ${blob}, ${w.embeddedAt}, ${w.truncated ? 1 : 0}
     WHERE EXISTS (SELECT 1 FROM entries
                    WHERE kb_name = ${w.kbName} AND id = ${w.entryId}
                      AND content_hash = ${w.contentHash})
    ON CONFLICT (kb_name, entry_id) DO UPDATE SET
      model = excluded.model, dims = excluded.dims, content_hash = excluded.content_hash,
      vector = excluded.vector, embedded_at = excluded.embedded_at, truncated = excluded.truncated`;
}

/** Deletes an entry's vector once the entry is gone (see `dequeueIfNoEntry`). */
export function deleteVectorIfNoEntry(kbName: string, entryId: string): SQL {
  return sql`
    DELETE FROM entry_embeddings
     WHERE kb_name = ${kbName} AND entry_id = ${entryId}
       AND NOT EXISTS (SELECT 1 FROM entries WHERE kb_name = ${kbName} AND id = ${entryId})`;
}

/** What is known about an entry's stored vector (without the vector). */
export type EmbeddingMeta = Omit<EmbeddingRow, "vector">;

/** The stored vector's metadata for one entry, if any. */
export async function getEmbeddingMeta(
  db: Db,
  kbName: string,
  entryId: string,
): Promise<EmbeddingMeta | undefined> {
  return db
    .select({
      kbName: entryEmbeddings.kbName,
      entryId: entryEmbeddings.entryId,
      model: entryEmbeddings.model,
      dims: entryEmbeddings.dims,
      contentHash: entryEmbeddings.contentHash,
      embeddedAt: entryEmbeddings.embeddedAt,
      truncated: entryEmbeddings.truncated,
    })
    .from(entryEmbeddings)
    .where(and(eq(entryEmbeddings.kbName, kbName), eq(entryEmbeddings.entryId, entryId)))
    .get();
}
