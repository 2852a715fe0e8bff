/**
 * Writes that put entries on `embed_queue` or take them off. Writers enqueue in the same D1 batch
 * as the entry, so the two never disagree; `index embed` queues what has no current vector.
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "./db";
import { embedQueue } from "./schema";

/**
 * Upserts a fresh pending queue row for every entry `source` selects (it names the entries `e`,
 * and must end in a WHERE clause). Coalescing: one row per entry; a pending, processing, done or
 * failed row is reset with attempts 0. Returns the queued entries' ids.
 */
function upsertPending(source: SQL, now: number): SQL {
  return sql`
    INSERT INTO embed_queue (kb_name, entry_id, queued_at, status, attempts, error,
                             next_attempt_at, lease_until, content_hash, model, updated_at)
    SELECT e.kb_name, e.id, ${now}, 'pending', 0, NULL, ${now}, NULL, e.content_hash, NULL, ${now}
      ${source}
    ON CONFLICT (kb_name, entry_id) DO UPDATE SET
      queued_at = excluded.queued_at, status = 'pending', attempts = 0, error = NULL,
      next_attempt_at = excluded.next_attempt_at, lease_until = NULL,
      content_hash = excluded.content_hash, model = NULL, updated_at = excluded.updated_at
    RETURNING entry_id`;
}

/**
 * Queues an entry's text as freshly pending (see `upsertPending`). It only takes effect while the
 * entry holds `hash`, so a write whose guarded update lost a race queues nothing stale.
 */
export function enqueue(kbName: string, entryId: string, hash: string, now: number): SQL {
  return upsertPending(
    sql`FROM entries e WHERE e.kb_name = ${kbName} AND e.id = ${entryId} AND e.content_hash = ${hash}`,
    now,
  );
}

/**
 * Queues entries that need a vector: with `force`, every entry (of one KB, or all); otherwise
 * those with no queue row, and `done` rows whose vector is not of the active model.
 * Rows already pending or processing are left alone. Returns how many rows were queued.
 */
export async function enqueueNeeded(
  db: Db,
  opts: { kb?: string; force: boolean; activeModel: string; now: number },
): Promise<number> {
  const kb = opts.kb === undefined ? sql`` : sql`AND e.kb_name = ${opts.kb}`;
  const needed = opts.force
    ? sql`(q.status IS NULL OR q.status IN ('done', 'failed'))`
    : sql`(q.status IS NULL OR (q.status = 'done' AND (q.model IS NULL OR q.model <> ${opts.activeModel})))`;
  const rows = await db.all<{ entry_id: string }>(
    upsertPending(
      sql`FROM entries e
      LEFT JOIN embed_queue q ON q.kb_name = e.kb_name AND q.entry_id = e.id
     WHERE ${needed} ${kb}`,
      opts.now,
    ),
  );
  return rows.length;
}

/** Deletes an entry's queue row. */
export function dequeue(db: Db, kbName: string, entryId: string) {
  return db
    .delete(embedQueue)
    .where(and(eq(embedQueue.kbName, kbName), eq(embedQueue.entryId, entryId)));
}

/**
 * Deletes an entry's queue row once the entry is gone. After a guarded delete in the same batch,
 * this removes the row only if that delete happened (a stale `If-Match` leaves all three alone).
 */
export function dequeueIfNoEntry(kbName: string, entryId: string): SQL {
  return sql`
    DELETE FROM embed_queue
     WHERE kb_name = ${kbName} AND entry_id = ${entryId}
       AND NOT EXISTS (SELECT 1 FROM entries WHERE kb_name = ${kbName} AND id = ${entryId})`;
}

/**
 * Deletes an entry's queue row if it is for a text the entry no longer holds. A write made with
 * embedding off (`EMBED_MODE=off`) queues nothing; without this, the row of the older text would
 * still say `done` (or be marked done by a worker holding it) and count the entry as embedded,
 * and `index embed` would not see that it needs a vector. Without a row it counts as `missing`.
 */
export function dequeueIfStale(kbName: string, entryId: string): SQL {
  return sql`
    DELETE FROM embed_queue
     WHERE kb_name = ${kbName} AND entry_id = ${entryId}
       AND content_hash IS NOT (SELECT content_hash FROM entries
                                 WHERE kb_name = ${kbName} AND id = ${entryId})`;
}
