/** `GET /api/index/embed-status`: the queue, the vectors and the worker, in one reconciled view. */
import { sql } from "drizzle-orm";
import type { WorkerStatus } from "../embed-worker/embed-worker";
import type { EmbedderInfo } from "../embedder/types";
import { fingerprintKey } from "../embedder/types";
import { type Db, runBatch } from "../storage/db";

type QueueCountRow = {
  status: string;
  n: number;
  /** Rows of this status whose model is the active one. */
  current: number;
  oldest: number | null;
  expired: number;
};
type VectorCountRow = { model: string; n: number; truncated: number };

/** The status document. */
export interface EmbedStatus {
  kb: string | null;
  entries: number;
  /** Entries whose vector is of the active model and their current text. */
  embedded: number;
  pending: number;
  processing: number;
  done: number;
  failed: number;
  /** Entries with no queue row and no current vector (only where EMBED_MODE=off wrote them). */
  missing: number;
  /** Vectors of another model or of an older text. */
  stale: number;
  truncated: number;
  oldest_pending_age_ms: number | null;
  expired_leases: number;
  last_error: WorkerStatus["last_error"];
  worker: Omit<WorkerStatus, "last_error" | "embedded_last_minute"> | { state: "absent" };
  throughput_last_minute: number | null;
  model: string | null;
  provider: string | null;
  semantic: boolean;
  embed_mode: string;
}

/**
 * Computes the status from index-only counts (cheap at 100k+ rows), reconciled by construction:
 * each entry has at most one queue row, so entries = embedded + pending + processing + failed +
 * missing, where `embedded` is a `done` row whose vector is of the active model.
 */
export async function readEmbedStatus(
  db: Db,
  opts: {
    kb?: string;
    now: number;
    info: EmbedderInfo | null;
    worker: WorkerStatus | null;
    embedMode: string;
  },
): Promise<EmbedStatus> {
  const model = opts.info ? fingerprintKey(opts.info.model) : "";
  const kbOnly = (column: string) =>
    opts.kb === undefined ? sql`` : sql`AND ${sql.raw(column)} = ${opts.kb}`;
  const [entryCount, queue, vectors] = await runBatch(db, [
    sql`SELECT count(*) AS n FROM entries WHERE 1 = 1 ${kbOnly("kb_name")}`,
    // Grouped by indexed columns only (never by an expression): each query is one pass over a
    // covering index in group order, with no sort (≈5× faster at 100k rows).
    sql`SELECT status, count(*) AS n, coalesce(sum(model = ${model}), 0) AS current,
                 min(queued_at) AS oldest,
                 coalesce(sum(lease_until <= ${opts.now}), 0) AS expired
            FROM embed_queue WHERE 1 = 1 ${kbOnly("kb_name")}
           GROUP BY status`,
    sql`SELECT model, count(*) AS n, coalesce(sum(truncated), 0) AS truncated
            FROM entry_embeddings WHERE 1 = 1 ${kbOnly("kb_name")}
           GROUP BY model`,
  ]);
  const counts = { pending: 0, processing: 0, done: 0, failed: 0 };
  let embedded = 0;
  let oldestPending: number | null = null;
  let expired = 0;
  for (const row of (queue?.results ?? []) as QueueCountRow[]) {
    if (!(row.status in counts)) continue;
    counts[row.status as keyof typeof counts] += row.n;
    if (row.status === "done") embedded += row.current;
    if (row.status === "pending" && row.oldest !== null) {
      oldestPending = Math.min(oldestPending ?? row.oldest, row.oldest);
    }
    if (row.status === "processing") expired += row.expired;
  }
  let activeVectors = 0;
  let otherVectors = 0;
  let truncated = 0;
  for (const row of (vectors?.results ?? []) as VectorCountRow[]) {
    if (row.model === model) {
      activeVectors += row.n;
      truncated += row.truncated;
    } else otherVectors += row.n;
  }
  const entries = Number(entryCount?.results[0]?.n ?? 0);
  const { last_error, embedded_last_minute, ...worker } = opts.worker ?? {
    last_error: null,
    embedded_last_minute: null,
    state: "absent" as const,
  };
  return {
    kb: opts.kb ?? null,
    entries,
    embedded,
    pending: counts.pending,
    processing: counts.processing,
    done: counts.done,
    failed: counts.failed,
    missing: Math.max(0, entries - embedded - counts.pending - counts.processing - counts.failed),
    // Another model's vectors, plus active-model vectors of text that has changed since.
    stale: otherVectors + Math.max(0, activeVectors - embedded),
    truncated,
    oldest_pending_age_ms: oldestPending === null ? null : Math.max(0, opts.now - oldestPending),
    expired_leases: expired,
    last_error,
    worker,
    throughput_last_minute: embedded_last_minute,
    model: opts.info ? model : null,
    provider: opts.info?.provider ?? null,
    semantic: opts.info?.semantic ?? false,
    embed_mode: opts.embedMode,
  };
}
