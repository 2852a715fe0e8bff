/**
 * Queries on `embed_queue`. Writers enqueue in the same D1 batch as the entry; the EmbedWorker
 * claims, completes and fails rows. Every state change of a claimed row is guarded by its lease
 * (`lease_until` doubles as the claim's token) so a late or duplicate worker can't overwrite a
 * newer state.
 */
import { and, desc, eq, lte, or, type SQL, sql } from "drizzle-orm";
import { type Db, runAtomic } from "./db";
import type { StoredVector } from "./embeddings";
import { type EntryRow, embedQueue, type QueueRow } from "./schema";
import { inShard, type Shard } from "./shard";

/**
 * Upserts the queue row of an entry as freshly pending (coalescing: one row per entry; a
 * pending, processing, done or failed row is reset with attempts 0). It only takes effect while
 * the entry holds `hash`, so a write whose guarded update lost a race queues nothing stale.
 */
export function enqueue(kbName: string, entryId: string, hash: string, now: number): SQL {
  return sql`
    INSERT INTO embed_queue (kb_name, entry_id, queued_at, status, attempts, error,
                             next_attempt_at, lease_until, content_hash, model, updated_at)
    SELECT kb_name, id, ${now}, 'pending', 0, NULL, ${now}, NULL, content_hash, NULL, ${now}
      FROM entries WHERE kb_name = ${kbName} AND id = ${entryId} AND content_hash = ${hash}
    ON CONFLICT (kb_name, entry_id) DO UPDATE SET
      queued_at = excluded.queued_at, status = 'pending', attempts = 0, error = NULL,
      next_attempt_at = excluded.next_attempt_at, lease_until = NULL,
      content_hash = excluded.content_hash, model = NULL, updated_at = excluded.updated_at`;
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

/** The queue row of one entry, if any. */
export async function getQueueRow(
  db: Db,
  kbName: string,
  entryId: string,
): Promise<QueueRow | undefined> {
  return db
    .select()
    .from(embedQueue)
    .where(and(eq(embedQueue.kbName, kbName), eq(embedQueue.entryId, entryId)))
    .get();
}

/** A row handed to the worker, with the lease that proves the claim is still its own. */
export interface ClaimedRow {
  kbName: string;
  entryId: string;
  attempts: number;
  queuedAt: number;
  contentHash: string;
  leaseUntil: number;
}

/** The columns `claimDue` reads back from each row it claims. */
interface ClaimedColumns {
  kb_name: string;
  entry_id: string;
  attempts: number;
  queued_at: number;
  content_hash: string;
}

/**
 * Bytes of entry text (title, summary and body) one claim takes by default: rows are claimed, in
 * order, while the rows before them hold less than this. A batch of 256 rows of 800 kB bodies
 * would otherwise be 200 MB, read whole into the Worker and sent to the embedder.
 */
const CLAIM_BYTES = 4 * 1024 * 1024;

/**
 * The claim itself: every due row it takes gets the lease `leaseUntil`, its token. Up to `limit`
 * due rows are candidates; they are sized from the stored lengths alone (`octet_length` reads a
 * value's size, not the value) and taken in rowid order while the ones before hold less than
 * `maxBytes`, so a claim always takes at least one row (however large) and passes the budget by
 * at most one. A row whose entry is gone counts 0 bytes (the batch drops it).
 */
function claimDueSql(
  now: number,
  leaseUntil: number,
  limit: number,
  maxBytes: number,
  shard?: Shard,
): SQL {
  return sql`
    WITH due (rid) AS (
      SELECT rowid FROM embed_queue
       WHERE status = 'pending' AND next_attempt_at <= ${now}${inShard("kb_name", shard)}
      UNION ALL
      SELECT rowid FROM embed_queue
       WHERE status = 'processing' AND lease_until <= ${now}${inShard("kb_name", shard)}
      LIMIT ${limit}),
    sized (rid, before) AS (
      SELECT due.rid,
             sum(coalesce(octet_length(e.title) + octet_length(e.summary)
                          + octet_length(e.body), 0))
               OVER (ORDER BY due.rid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        FROM due JOIN embed_queue q ON q.rowid = due.rid
        LEFT JOIN entries e ON e.kb_name = q.kb_name AND e.id = q.entry_id)
    UPDATE embed_queue
       SET status = 'processing', attempts = attempts + 1, lease_until = ${leaseUntil},
           updated_at = ${now}
     WHERE rowid IN (SELECT rid FROM sized WHERE coalesce(before, 0) < ${maxBytes})
    RETURNING kb_name, entry_id, attempts, queued_at, content_hash`;
}

function toClaimed(rows: ClaimedColumns[], leaseUntil: number): ClaimedRow[] {
  return rows.map((r) => ({
    kbName: r.kb_name,
    entryId: r.entry_id,
    attempts: r.attempts,
    queuedAt: r.queued_at,
    contentHash: r.content_hash,
    leaseUntil,
  }));
}

/**
 * Claims up to `limit` due rows, and at most about `maxBytes` of their text (see `claimDueSql`):
 * pending rows whose backoff has passed, and processing rows whose lease expired (their worker
 * died). Each claim counts as an attempt.
 */
export async function claimDue(
  db: Db,
  now: number,
  leaseMs: number,
  limit: number,
  maxBytes = CLAIM_BYTES,
): Promise<ClaimedRow[]> {
  const leaseUntil = now + leaseMs;
  const rows = await db.all<ClaimedColumns>(claimDueSql(now, leaseUntil, limit, maxBytes));
  return toClaimed(rows, leaseUntil);
}

/** A row `failExhaustedLeases` ended. */
export interface ExhaustedRow {
  kbName: string;
  entryId: string;
  attempts: number;
  queuedAt: number;
  contentHash: string;
  error: string | null;
}

type ExhaustedColumns = ClaimedColumns & { error: string | null };

function toExhausted(rows: ExhaustedColumns[]): ExhaustedRow[] {
  return rows.map((r) => ({
    kbName: r.kb_name,
    entryId: r.entry_id,
    attempts: r.attempts,
    queuedAt: r.queued_at,
    contentHash: r.content_hash,
    error: r.error,
  }));
}

/** What the embedding of an entry reads of it: its key, its text and that text's hash. */
export type EmbedSource = Pick<
  EntryRow,
  "kbName" | "id" | "title" | "summary" | "body" | "contentHash"
>;

/** What one claim round trip brings back. */
export interface DueClaim {
  /** Rows whose lease expired after the last allowed attempt, failed before the claim. */
  exhausted: ExhaustedRow[];
  claimed: ClaimedRow[];
  /** The entries of the claimed rows (a row whose entry is gone has none). */
  entries: EmbedSource[];
  /** The passage vectors already stored for those entries, of every model. */
  vectors: (StoredVector & { model: string })[];
}

/**
 * The worker's claim in one D1 round trip (one transaction, run in order): fail the exhausted
 * expired leases (so the claim can never take a row past its last attempt), claim up to `limit`
 * due rows within `maxBytes` of text, and read what embedding needs of their entries (not their
 * metadata or tags) and the passage vectors stored for them (what an edit can reuse). Both are
 * found by the claim's lease; should another claim share that lease value, its
 * extra rows are ignored by the caller, which goes by `claimed`. With `shard`, only rows of the
 * KBs of that shard are claimed (expired leases of any KB are still failed: that is safe
 * whoever does it).
 */
export async function claimDueWithEntries(
  db: Db,
  opts: {
    now: number;
    leaseMs: number;
    limit: number;
    maxAttempts: number;
    maxBytes?: number;
    shard?: Shard;
  },
): Promise<DueClaim> {
  const { now, limit, maxAttempts } = opts;
  const leaseUntil = now + opts.leaseMs;
  const [exhausted, claimed, read, vectors] = await runAtomic(db, [
    failExhaustedLeasesSql(now, maxAttempts),
    claimDueSql(now, leaseUntil, limit, opts.maxBytes ?? CLAIM_BYTES, opts.shard),
    sql`
      SELECT e.kb_name AS kbName, e.id AS id, e.title AS title, e.summary AS summary,
             e.body AS body, e.content_hash AS contentHash
        FROM embed_queue q JOIN entries e ON e.kb_name = q.kb_name AND e.id = q.entry_id
       WHERE q.status = 'processing' AND q.lease_until = ${leaseUntil}`,
    sql`
      SELECT v.kb_name AS kbName, v.entry_id AS entryId, v.model, v.hash,
             v.truncated = 1 AS truncated, v.created_at AS createdAt
        FROM embed_queue q
        JOIN passage_vectors v ON v.kb_name = q.kb_name AND v.entry_id = q.entry_id
       WHERE q.status = 'processing' AND q.lease_until = ${leaseUntil}`,
  ]);
  return {
    exhausted: toExhausted((exhausted?.results ?? []) as unknown as ExhaustedColumns[]),
    claimed: toClaimed((claimed?.results ?? []) as unknown as ClaimedColumns[], leaseUntil),
    entries: (read?.results ?? []) as unknown as EmbedSource[],
    vectors: ((vectors?.results ?? []) as unknown as (StoredVector & { model: string })[]).map(
      (v) => ({ ...v, truncated: Boolean(v.truncated) }),
    ),
  };
}

/** Guard: the row is still in the claim described by `row`. */
function stillClaimed(row: ClaimedRow) {
  return and(
    eq(embedQueue.kbName, row.kbName),
    eq(embedQueue.entryId, row.entryId),
    eq(embedQueue.status, "processing"),
    eq(embedQueue.leaseUntil, row.leaseUntil),
  );
}

/** Marks a claimed row done with the model of its vector, if it is still ours (an update meanwhile made it pending again). */
export function markDone(db: Db, row: ClaimedRow, model: string, now: number) {
  return db
    .update(embedQueue)
    .set({ status: "done", error: null, leaseUntil: null, model, updatedAt: now })
    .where(stillClaimed(row))
    .returning({ entryId: embedQueue.entryId });
}

/**
 * Records a failed attempt: `failed` with the error at the maximum, otherwise `pending` again
 * from `nextAttemptAt`.
 */
export function markFailed(
  db: Db,
  row: ClaimedRow,
  error: string,
  terminal: boolean,
  nextAttemptAt: number,
  now: number,
) {
  return db
    .update(embedQueue)
    .set({
      status: terminal ? "failed" : "pending",
      error,
      nextAttemptAt: terminal ? now : nextAttemptAt,
      leaseUntil: null,
      updatedAt: now,
    })
    .where(stillClaimed(row))
    .returning({ status: embedQueue.status });
}

/**
 * Hands a claimed row back unfinished, due at `dueAt` (at once by default) and without counting
 * the claim as an attempt: the cycle ran out of texts before the entry was complete (its vectors
 * so far are stored, so the next claim continues where this one stopped), or the embedder asked
 * to be called later. Only if the row is still ours.
 */
export function releaseClaim(db: Db, row: ClaimedRow, now: number, dueAt = now) {
  return db
    .update(embedQueue)
    .set({
      status: "pending",
      attempts: sql`${embedQueue.attempts} - 1`,
      nextAttemptAt: dueAt,
      leaseUntil: null,
      updatedAt: now,
    })
    .where(stillClaimed(row))
    .returning({ entryId: embedQueue.entryId });
}

const LEASE_EXPIRED = "the worker stopped while embedding this entry (lease expired)";

function failExhaustedLeasesSql(now: number, maxAttempts: number): SQL {
  return sql`
    UPDATE embed_queue
       SET status = 'failed', error = ${LEASE_EXPIRED}, lease_until = NULL, updated_at = ${now}
     WHERE status = 'processing' AND lease_until <= ${now} AND attempts >= ${maxAttempts}
    RETURNING kb_name, entry_id, attempts, queued_at, content_hash, error`;
}

/**
 * Puts failed rows back to pending with attempts 0: every one, those of one KB, or (with
 * `entryId`, which needs `kbName`) that one entry's.
 */
export async function retryFailed(db: Db, now: number, kbName?: string, entryId?: string) {
  const conditions = [eq(embedQueue.status, "failed")];
  if (kbName !== undefined) conditions.push(eq(embedQueue.kbName, kbName));
  if (entryId !== undefined) conditions.push(eq(embedQueue.entryId, entryId));
  const rows = await db
    .update(embedQueue)
    .set({ status: "pending", attempts: 0, error: null, nextAttemptAt: now, updatedAt: now })
    .where(and(...conditions))
    .returning({ entryId: embedQueue.entryId });
  return rows.length;
}

/** A failed row as the status page lists it. */
export interface FailedRow {
  kb_name: string;
  entry_id: string;
  error: string | null;
  attempts: number;
  /** ISO 8601: when the row failed. */
  updated_at: string;
}

/** The most recently failed rows (of one KB, or all), newest first. */
export async function listFailed(db: Db, limit: number, kbName?: string): Promise<FailedRow[]> {
  const rows = await db
    .select({
      kbName: embedQueue.kbName,
      entryId: embedQueue.entryId,
      error: embedQueue.error,
      attempts: embedQueue.attempts,
      updatedAt: embedQueue.updatedAt,
    })
    .from(embedQueue)
    .where(
      kbName === undefined
        ? eq(embedQueue.status, "failed")
        : and(eq(embedQueue.kbName, kbName), eq(embedQueue.status, "failed")),
    )
    .orderBy(desc(embedQueue.updatedAt))
    .limit(limit);
  return rows.map((r) => ({
    kb_name: r.kbName,
    entry_id: r.entryId,
    error: r.error,
    attempts: r.attempts,
    updated_at: new Date(r.updatedAt).toISOString(),
  }));
}

/**
 * Epoch ms of the earliest moment some row (of `shard`'s KBs, if given) becomes claimable, or
 * undefined if none will.
 */
export async function nextDueAt(db: Db, shard?: Shard): Promise<number | undefined> {
  const row = await db.get<{ due: number | null }>(sql`
    SELECT min(due) AS due FROM (
      SELECT min(next_attempt_at) AS due FROM embed_queue
       WHERE status = 'pending'${inShard("kb_name", shard)}
      UNION ALL
      SELECT min(lease_until) AS due FROM embed_queue
       WHERE status = 'processing'${inShard("kb_name", shard)})`);
  return row?.due ?? undefined;
}

/** Whether anything is claimable now (the cron safety net's cheap check). */
export async function hasDue(db: Db, now: number): Promise<boolean> {
  const row = await db
    .select({ one: sql<number>`1` })
    .from(embedQueue)
    .where(
      or(
        and(eq(embedQueue.status, "pending"), lte(embedQueue.nextAttemptAt, now)),
        and(eq(embedQueue.status, "processing"), lte(embedQueue.leaseUntil, now)),
      ),
    )
    .limit(1)
    .get();
  return row !== undefined;
}

/**
 * Claims one entry's pending row for immediate embedding (sync mode), if it still holds `hash`.
 */
export async function claimEntry(
  db: Db,
  kbName: string,
  entryId: string,
  hash: string,
  now: number,
  leaseMs: number,
): Promise<ClaimedRow | undefined> {
  const leaseUntil = now + leaseMs;
  const row = await db
    .update(embedQueue)
    .set({
      status: "processing",
      attempts: sql`${embedQueue.attempts} + 1`,
      leaseUntil,
      updatedAt: now,
    })
    .where(
      and(
        eq(embedQueue.kbName, kbName),
        eq(embedQueue.entryId, entryId),
        eq(embedQueue.status, "pending"),
        eq(embedQueue.contentHash, hash),
      ),
    )
    .returning()
    .get();
  if (!row) return undefined;
  return {
    kbName,
    entryId,
    attempts: row.attempts,
    queuedAt: row.queuedAt,
    contentHash: row.contentHash,
    leaseUntil,
  };
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
  const { now } = opts;
  const kb = opts.kb === undefined ? sql`` : sql`AND e.kb_name = ${opts.kb}`;
  const needed = opts.force
    ? sql`(q.status IS NULL OR q.status IN ('done', 'failed'))`
    : sql`(q.status IS NULL OR (q.status = 'done' AND (q.model IS NULL OR q.model <> ${opts.activeModel})))`;
  const rows = await db.all<{ entry_id: string }>(sql`
    INSERT INTO embed_queue (kb_name, entry_id, queued_at, status, attempts, error,
                             next_attempt_at, lease_until, content_hash, model, updated_at)
    SELECT e.kb_name, e.id, ${now}, 'pending', 0, NULL, ${now}, NULL, e.content_hash, NULL, ${now}
      FROM entries e
      LEFT JOIN embed_queue q ON q.kb_name = e.kb_name AND q.entry_id = e.id
     WHERE ${needed} ${kb}
    ON CONFLICT (kb_name, entry_id) DO UPDATE SET
      queued_at = excluded.queued_at, status = 'pending', attempts = 0, error = NULL,
      next_attempt_at = excluded.next_attempt_at, lease_until = NULL,
      content_hash = excluded.content_hash, model = NULL, updated_at = excluded.updated_at
    RETURNING entry_id`);
  return rows.length;
}
