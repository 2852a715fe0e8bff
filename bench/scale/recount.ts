/**
 * The scale bench's books, recounted from D1 itself after a drain: every entry done, every
 * passage of every committed set with its vector, no row failed or left behind, and the attempts
 * beyond the first that faults cost. Vectors are keyed by (kb, entry, model, passage hash), so a
 * duplicate is impossible in D1; what the bench counts as duplicated work is texts the fake
 * embedder served more than once (see `ScaleRun.embedder`).
 */
import type { BenchDb } from "./launch.js";

/** What D1 holds after a drain. */
export interface Recount {
  entries: number;
  done: number;
  pending: number;
  processing: number;
  failed: number;
  /** Passages of committed sets, and those of them without a stored vector (lost). */
  passages: number;
  lostVectors: number;
  vectors: number;
  /** Attempts beyond the first, over all rows (a 429 must cost none). */
  extraAttempts: number;
}

const count = async (db: BenchDb, query: string): Promise<number> =>
  (await db.prepare(query).first<{ n: number }>())?.n ?? 0;

/** Recounts the books. */
export async function recount(db: BenchDb): Promise<Recount> {
  const byStatus = (status: string) =>
    count(db, `SELECT count(*) AS n FROM embed_queue WHERE status = '${status}'`);
  return {
    entries: await count(db, "SELECT count(*) AS n FROM entries"),
    done: await byStatus("done"),
    pending: await byStatus("pending"),
    processing: await byStatus("processing"),
    failed: await byStatus("failed"),
    passages: await count(db, "SELECT count(*) AS n FROM entry_passages"),
    lostVectors: await count(
      db,
      `SELECT count(*) AS n FROM entry_passages p
         LEFT JOIN passage_vectors v ON v.kb_name = p.kb_name AND v.entry_id = p.entry_id
                                    AND v.model = p.model AND v.hash = p.hash
        WHERE v.hash IS NULL`,
    ),
    vectors: await count(db, "SELECT count(*) AS n FROM passage_vectors"),
    extraAttempts: await count(
      db,
      "SELECT coalesce(sum(max(attempts - 1, 0)), 0) AS n FROM embed_queue",
    ),
  };
}
