/**
 * The EmbedWorker's side of `embed_queue`: claim due rows under a lease, and complete, fail or
 * hand back what it claimed. Every state change of a claimed row is guarded by its lease
 * (`lease_until` doubles as the claim's token) so a late or duplicate worker can't overwrite a
 * newer state.
 */
import { and, eq, lte, or, type SQL, sql } from "drizzle-orm";
import { type Db, runAtomic } from "./db";
import type { StoredVector } from "./embeddings";
import { type EntryRow, embedQueue } from "./schema";
import { inShard, type Shard } from "./shard";

/** A queue row as a claim returns it. */
interface QueuedRow {
  kbName: string;
  entryId: string;
  attempts: number;
  queuedAt: number;
  contentHash: string;
}

/** A row handed to the worker, with the lease that proves the claim is still its own. */
export type ClaimedRow = QueuedRow & { leaseUntil: number };

/** A row `failExhaustedLeasesSql` ended. */
export type ExhaustedRow = QueuedRow & { error: string | null };

/** What the embedding of an entry reads of it: its key, its text and that text's hash. */
export type EmbedSource = Pick<
  EntryRow,
  "kbName" | "id" | "title" | "summary" | "body" | "contentHash"
>;

/** A row as D1 hands back a raw statement's result. */
type RawRow = Record<string, unknown>;

function text(row: RawRow, column: string): string {
  const value = row[column];
  if (typeof value !== "string") throw new Error(`expected text in column ${column}`);
  return value;
}

function integer(row: RawRow, column: string): number {
  const value = row[column];
  if (typeof value !== "number") throw new Error(`expected a number in column ${column}`);
  return value;
}

/** What every claiming statement returns of a row, read by `toQueued`. */
export const QUEUED_COLUMNS = sql.raw("kb_name, entry_id, attempts, queued_at, content_hash");

/** The one mapper of a returned queue row. */
function toQueued(row: RawRow): QueuedRow {
  return {
    kbName: text(row, "kb_name"),
    entryId: text(row, "entry_id"),
    attempts: integer(row, "attempts"),
    queuedAt: integer(row, "queued_at"),
    contentHash: text(row, "content_hash"),
  };
}

/** Claimed rows as a claiming statement returns them (`QUEUED_COLUMNS`), with their lease. */
export function toClaimedRows(rows: RawRow[], leaseUntil: number): ClaimedRow[] {
  return rows.map((r) => ({ ...toQueued(r), leaseUntil }));
}

/** Rows whose last lease expired, as returned with `QUEUED_COLUMNS` and `error`. */
export function toExhaustedRows(rows: RawRow[]): ExhaustedRow[] {
  return rows.map((r) => ({ ...toQueued(r), error: typeof r.error === "string" ? r.error : null }));
}

function toSource(row: RawRow): EmbedSource {
  return {
    kbName: text(row, "kbName"),
    id: text(row, "id"),
    title: text(row, "title"),
    summary: text(row, "summary"),
    body: text(row, "body"),
    contentHash: text(row, "contentHash"),
  };
}

function toStoredVector(row: RawRow): StoredVector & { model: string } {
  return {
    kbName: text(row, "kbName"),
    entryId: text(row, "entryId"),
    model: text(row, "model"),
    hash: text(row, "hash"),
    truncated: Boolean(row.truncated),
    createdAt: integer(row, "createdAt"),
  };
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
    RETURNING ${QUEUED_COLUMNS}`;
}

/** The error of a row whose last lease expired (the worker stopped mid-embedding). */
export const LEASE_EXPIRED = "the worker stopped while embedding this entry (lease expired)";

function failExhaustedLeasesSql(now: number, maxAttempts: number): SQL {
  return sql`
    UPDATE embed_queue
       SET status = 'failed', error = ${LEASE_EXPIRED}, lease_until = NULL, updated_at = ${now}
     WHERE status = 'processing' AND lease_until <= ${now} AND attempts >= ${maxAttempts}
    RETURNING ${QUEUED_COLUMNS}, error`;
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
  const rows = await db.all<RawRow>(claimDueSql(now, leaseUntil, limit, maxBytes));
  return toClaimedRows(rows, leaseUntil);
}

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
 * extra rows are ignored by the caller, which goes by `claimed`.
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
    exhausted: toExhaustedRows(exhausted?.results ?? []),
    claimed: toClaimedRows(claimed?.results ?? [], leaseUntil),
    entries: (read?.results ?? []).map(toSource),
    vectors: (vectors?.results ?? []).map(toStoredVector),
  };
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
  const [row] = await db.all<RawRow>(sql`
    UPDATE embed_queue
       SET status = 'processing', attempts = attempts + 1, lease_until = ${leaseUntil},
           updated_at = ${now}
     WHERE kb_name = ${kbName} AND entry_id = ${entryId} AND status = 'pending'
       AND content_hash = ${hash}
    RETURNING ${QUEUED_COLUMNS}`);
  return row ? { ...toQueued(row), leaseUntil } : undefined;
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

/** Epoch ms of the earliest moment some row becomes claimable, or undefined if none will. */
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
 * Puts a `done` row back to pending from `nextAttemptAt`, with the error, while the entry still
 * holds `contentHash`: its set is committed in D1 but the vector store refused it, so the row
 * runs again (reusing every stored vector) and sends the set again. Attempts are not counted:
 * the entry's embedding succeeded.
 */
export function requeueDone(
  kbName: string,
  entryId: string,
  contentHash: string,
  error: string,
  nextAttemptAt: number,
  now: number,
): SQL {
  return sql`
    UPDATE embed_queue
       SET status = 'pending', error = ${error}, next_attempt_at = ${nextAttemptAt},
           lease_until = NULL, model = NULL, updated_at = ${now}
     WHERE kb_name = ${kbName} AND entry_id = ${entryId} AND status = 'done'
       AND content_hash = ${contentHash}`;
}
