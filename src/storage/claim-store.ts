/**
 * How an embedding cycle writes each claimed row's outcome back to the queue it came from: the
 * serving model's `embed_queue` (queue.ts) or a migration's `shadow_queue` (shadow-queue.ts).
 * Every statement is guarded by the claim's lease, as in queue.ts.
 */
import type { Db, Statement } from "./db";
import { type ClaimedRow, markDone, markFailed, releaseClaim, requeueDone } from "./queue-claim";
import { dequeue } from "./queue-enqueue";

/** The outcome writes of one queue; each returns rows only when it changed the claimed row. */
export interface ClaimStore {
  /** The row's set is committed with `model`. */
  done(row: ClaimedRow, model: string, now: number): Statement;
  /** A failed attempt: `failed` when `terminal`, else pending from `nextAttemptAt`; returns `status`. */
  fail(
    row: ClaimedRow,
    error: string,
    terminal: boolean,
    nextAttemptAt: number,
    now: number,
  ): Statement;
  /**
   * Handed back unfinished, due at `dueAt` (at once by default: the cycle ran out of texts; later
   * when the embedder asked to be called later), the claim not counted as an attempt.
   */
  release(row: ClaimedRow, now: number, dueAt?: number): Statement;
  /** The row of an entry that is gone. */
  drop(row: ClaimedRow): Statement;
  /**
   * Back to pending from `nextAttemptAt` (no attempt counted) while the entry still holds
   * `contentHash`: its set is committed in D1 but the vector store refused it.
   */
  requeue(
    kbName: string,
    entryId: string,
    contentHash: string,
    error: string,
    nextAttemptAt: number,
    now: number,
  ): Statement;
}

/** The serving model's queue, `embed_queue`. */
export function servingClaims(db: Db): ClaimStore {
  return {
    done: (row, model, now) => markDone(db, row, model, now),
    fail: (row, error, terminal, next, now) => markFailed(db, row, error, terminal, next, now),
    release: (row, now, dueAt) => releaseClaim(db, row, now, dueAt),
    drop: (row) => dequeue(db, row.kbName, row.entryId),
    requeue: requeueDone,
  };
}
