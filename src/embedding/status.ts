/** `GET /api/index/embed-status`: the queue, the vectors and the worker, in one reconciled view. */
import type { EmbedderInfo } from "../embedder/types";
import { fingerprintKey } from "../embedder/types";
import type { EmbedStatus, MigrationStatus, WorkerStatus } from "../shared/api-types";
import type { Db } from "../storage/db";
import { readStatusCounts } from "../storage/status-counts";

export type { EmbedStatus };

/**
 * Computes the status from `status_counts` plus two index seeks (see `readStatusCounts`).
 * Reconciled by construction: each entry has at most one queue row, so entries = embedded +
 * pending + processing + failed + missing, where `embedded` is a `done` row whose vector is of
 * the active model.
 */
export async function readEmbedStatus(
  db: Db,
  opts: {
    kb?: string;
    now: number;
    info: EmbedderInfo | null;
    worker: WorkerStatus | null;
    embedMode: string;
    migration: MigrationStatus;
  },
): Promise<EmbedStatus> {
  const model = opts.info ? fingerprintKey(opts.info.model) : "";
  const { rows, oldestPendingAt, expiredLeases } = await readStatusCounts(db, opts.kb, opts.now);
  // Sets of a migration's target or kept for rollback are not stale: they are there on purpose.
  const kept = new Set(opts.migration.models.map((m) => m.model));
  const counts = { pending: 0, processing: 0, done: 0, failed: 0 };
  let entries = 0;
  let embedded = 0;
  let activeVectors = 0;
  let otherVectors = 0;
  let truncated = 0;
  let passages = 0;
  for (const row of rows) {
    const n = Number(row.n);
    if (row.metric === "entries") entries += n;
    else if (row.metric === "passages") {
      if (row.model === model) passages += n;
    } else if (row.metric === "vectors") {
      if (row.model === model) {
        activeVectors += n;
        truncated += Number(row.truncated);
      } else if (!kept.has(row.model)) otherVectors += n;
    } else {
      const status = row.metric.slice("queue:".length);
      if (!(status in counts)) continue;
      counts[status as keyof typeof counts] += n;
      if (status === "done" && row.model === model) embedded += n;
    }
  }
  const { last_error, embedded_last_minute, passages_last_minute, ...worker } = opts.worker ?? {
    last_error: null,
    embedded_last_minute: null,
    passages_last_minute: null,
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
    // Another model's vectors (one the index does not keep), plus active-model vectors of text
    // that has changed since.
    stale: otherVectors + Math.max(0, activeVectors - embedded),
    truncated,
    passages,
    oldest_pending_age_ms:
      oldestPendingAt === null ? null : Math.max(0, opts.now - oldestPendingAt),
    expired_leases: expiredLeases,
    last_error,
    worker,
    throughput_last_minute: embedded_last_minute,
    passages_last_minute,
    model: opts.info ? model : null,
    provider: opts.info?.provider ?? null,
    semantic: opts.info?.semantic ?? false,
    embed_mode: opts.embedMode,
    migration: opts.migration,
  };
}
