/**
 * What the API reads of `embed_queue` and the controls it offers: an entry's queue row, the
 * failed rows with their errors, and putting failed rows back to pending. (The counts of the
 * status live in `status-counts.ts`.)
 */
import { and, desc, eq } from "drizzle-orm";
import type { Db } from "./db";
import { embedQueue, type QueueRow } from "./schema";

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
