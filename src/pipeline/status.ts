/** `GET /api/index/embed-status`: the queue, the vectors and the worker, in one reconciled view. */
import { sql } from "drizzle-orm";
import type { EmbedderInfo } from "../embedder/types";
import { fingerprintKey } from "../embedder/types";
import type { EmbedStatus } from "../shared/api-types";
import type { WorkerStatus } from "../shared/worker-status";
import { type Db, runBatch } from "../storage/db";

export type { EmbedStatus };

type CountRow = { metric: string; model: string; n: number; truncated: number };

/**
 * Computes the status from `status_counts` (kept exact by triggers in the same transaction as
 * every write, so it costs the same at 100k rows as at 10), plus two index seeks: the oldest
 * pending row and the expired leases. Reconciled by construction: each entry has at most one
 * queue row, so entries = embedded + pending + processing + failed + missing, where `embedded`
 * is a `done` row whose vector is of the active model.
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
  const kbOnly = opts.kb === undefined ? sql`` : sql`AND kb_name = ${opts.kb}`;
  const [countRows, oldest, expired] = await runBatch(db, [
    sql`SELECT metric, model, sum(n) AS n, sum(truncated) AS truncated
          FROM status_counts WHERE 1 = 1 ${kbOnly}
         GROUP BY metric, model`,
    sql`SELECT min(queued_at) AS at FROM embed_queue WHERE status = 'pending' ${kbOnly}`,
    sql`SELECT count(*) AS n FROM embed_queue
         WHERE status = 'processing' AND lease_until <= ${opts.now} ${kbOnly}`,
  ]);
  const counts = { pending: 0, processing: 0, done: 0, failed: 0 };
  let entries = 0;
  let embedded = 0;
  let activeVectors = 0;
  let otherVectors = 0;
  let truncated = 0;
  let passages = 0;
  for (const row of (countRows?.results ?? []) as CountRow[]) {
    const n = Number(row.n);
    if (row.metric === "entries") entries += n;
    else if (row.metric === "passages") {
      if (row.model === model) passages += n;
    } else if (row.metric === "vectors") {
      if (row.model === model) {
        activeVectors += n;
        truncated += Number(row.truncated);
      } else otherVectors += n;
    } else {
      const status = row.metric.slice("queue:".length);
      if (!(status in counts)) continue;
      counts[status as keyof typeof counts] += n;
      if (status === "done" && row.model === model) embedded += n;
    }
  }
  const oldestPending = (oldest?.results[0]?.at as number | null | undefined) ?? null;
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
    // Another model's vectors, plus active-model vectors of text that has changed since.
    stale: otherVectors + Math.max(0, activeVectors - embedded),
    truncated,
    passages,
    oldest_pending_age_ms: oldestPending === null ? null : Math.max(0, opts.now - oldestPending),
    expired_leases: Number(expired?.results[0]?.n ?? 0),
    last_error,
    worker,
    throughput_last_minute: embedded_last_minute,
    passages_last_minute,
    model: opts.info ? model : null,
    provider: opts.info?.provider ?? null,
    semantic: opts.info?.semantic ?? false,
    embed_mode: opts.embedMode,
  };
}
