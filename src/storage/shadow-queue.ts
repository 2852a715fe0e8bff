/**
 * Queries on `shadow_queue`: a migration's work, one row per entry still to embed with the target
 * model. Filled when the migration starts and by a trigger on every fresh write (migration 0007);
 * claimed, leased and retried like `embed_queue` (queue.ts), but a row is deleted once its set is
 * committed, so the rows left are exactly what the target does not cover yet.
 */
import { type SQL, sql } from "drizzle-orm";
import type { ClaimStore } from "./claim-store";
import { type Db, runAtomic } from "./db";
import {
  type ClaimedRow,
  type ExhaustedRow,
  LEASE_EXPIRED,
  QUEUED_COLUMNS,
  toClaimedRows,
  toExhaustedRows,
} from "./queue-claim";

/** Guard: the row is still in the claim described by `row`. */
function stillClaimed(model: string, row: ClaimedRow): SQL {
  return sql`kb_name = ${row.kbName} AND entry_id = ${row.entryId} AND model = ${model}
             AND status = 'processing' AND lease_until = ${row.leaseUntil}`;
}

/** The outcome writes of `model`'s shadow rows. */
export function shadowClaims(model: string): ClaimStore {
  return {
    // The row's work is done: the target covers the entry (until its next write re-queues it).
    done: (row) => sql`
      DELETE FROM shadow_queue WHERE ${stillClaimed(model, row)} RETURNING entry_id`,
    fail: (row, error, terminal, next, now) => sql`
      UPDATE shadow_queue
         SET status = ${terminal ? "failed" : "pending"}, error = ${error},
             next_attempt_at = ${terminal ? now : next}, lease_until = NULL, updated_at = ${now}
       WHERE ${stillClaimed(model, row)}
      RETURNING status`,
    release: (row, now, dueAt = now) => sql`
      UPDATE shadow_queue
         SET status = 'pending', attempts = attempts - 1, next_attempt_at = ${dueAt},
             lease_until = NULL, updated_at = ${now}
       WHERE ${stillClaimed(model, row)}
      RETURNING entry_id`,
    drop: (row) => sql`
      DELETE FROM shadow_queue
       WHERE kb_name = ${row.kbName} AND entry_id = ${row.entryId} AND model = ${model}`,
    // A committed shadow set's row was deleted: put it back while the entry has that text.
    requeue: (kbName, entryId, contentHash, error, next, now) => sql`
      INSERT INTO shadow_queue (kb_name, entry_id, model, queued_at, status, attempts, error,
                                next_attempt_at, lease_until, content_hash, updated_at)
      SELECT kb_name, id, ${model}, ${now}, 'pending', 0, ${error}, ${next}, NULL, content_hash,
             ${now}
        FROM entries WHERE kb_name = ${kbName} AND id = ${entryId} AND content_hash = ${contentHash}
      ON CONFLICT DO NOTHING`,
  };
}

/**
 * Claims up to `limit` due shadow rows of `model` in one round trip, after failing the exhausted
 * expired leases (so no row gets an attempt past the maximum). Fresh writes (the latest
 * `queued_at`) come before the backfill, which was queued when the migration began.
 */
export async function claimShadow(
  db: Db,
  opts: { model: string; now: number; leaseMs: number; limit: number; maxAttempts: number },
): Promise<{ claimed: ClaimedRow[]; exhausted: ExhaustedRow[] }> {
  const { model, now, limit } = opts;
  const leaseUntil = now + opts.leaseMs;
  const [exhausted, claimed] = await runAtomic(db, [
    sql`
      UPDATE shadow_queue
         SET status = 'failed', error = ${LEASE_EXPIRED}, lease_until = NULL, updated_at = ${now}
       WHERE model = ${model} AND status = 'processing' AND lease_until <= ${now}
         AND attempts >= ${opts.maxAttempts}
      RETURNING ${QUEUED_COLUMNS}, error`,
    sql`
      UPDATE shadow_queue
         SET status = 'processing', attempts = attempts + 1, lease_until = ${leaseUntil},
             updated_at = ${now}
       WHERE rowid IN (
         SELECT rowid FROM (
           SELECT rowid, queued_at FROM shadow_queue
            WHERE model = ${model} AND status = 'processing' AND lease_until <= ${now}
           UNION ALL
           SELECT rowid, queued_at FROM (
             SELECT rowid, queued_at FROM shadow_queue
              WHERE model = ${model} AND status = 'pending' AND next_attempt_at <= ${now}
              ORDER BY queued_at DESC LIMIT ${limit}))
          LIMIT ${limit})
      RETURNING ${QUEUED_COLUMNS}`,
  ]);
  return {
    claimed: toClaimedRows(claimed?.results ?? [], leaseUntil),
    exhausted: toExhaustedRows(exhausted?.results ?? []),
  };
}

/** Shadow rows of `model` by status (of one KB, or all): what the target does not cover yet. */
export interface ShadowCounts {
  pending: number;
  processing: number;
  failed: number;
}

/** Counts `model`'s shadow rows (an index range, not a table scan). */
export async function countShadow(db: Db, model: string, kb?: string): Promise<ShadowCounts> {
  const rows = await db.all<{ status: string; n: number }>(sql`
    SELECT status, count(*) AS n FROM shadow_queue
     WHERE model = ${model} ${kb === undefined ? sql`` : sql`AND kb_name = ${kb}`}
     GROUP BY status`);
  const counts: ShadowCounts = { pending: 0, processing: 0, failed: 0 };
  for (const row of rows) {
    if (row.status === "pending" || row.status === "processing" || row.status === "failed") {
      counts[row.status] = Number(row.n);
    }
  }
  return counts;
}

/** Epoch ms of the earliest moment a shadow row of `model` becomes claimable, if any will. */
export async function nextShadowDueAt(db: Db, model: string): Promise<number | undefined> {
  const row = await db.get<{ due: number | null }>(sql`
    SELECT min(due) AS due FROM (
      SELECT min(next_attempt_at) AS due FROM shadow_queue
       WHERE model = ${model} AND status = 'pending'
      UNION ALL
      SELECT min(lease_until) AS due FROM shadow_queue
       WHERE model = ${model} AND status = 'processing')`);
  return row?.due ?? undefined;
}

/** Puts `model`'s failed shadow rows back to pending (of one KB, or all); returns how many. */
export async function retryShadowFailed(
  db: Db,
  model: string,
  now: number,
  kb?: string,
): Promise<number> {
  const rows = await db.all<{ entry_id: string }>(sql`
    UPDATE shadow_queue
       SET status = 'pending', attempts = 0, error = NULL, next_attempt_at = ${now},
           updated_at = ${now}
     WHERE model = ${model} AND status = 'failed'
       ${kb === undefined ? sql`` : sql`AND kb_name = ${kb}`}
    RETURNING entry_id`);
  return rows.length;
}
