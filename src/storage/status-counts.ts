/** The reads behind the embedding status: the `status_counts` sums and two index seeks. */
import { sql } from "drizzle-orm";
import { type Db, runAtomic } from "./db";

/** One sum of `status_counts`: `metric` is `entries`, `passages`, `vectors` or `queue:<status>`. */
export type StatusCountRow = { metric: string; model: string; n: number; truncated: number };

/** The raw facts one status is reconciled from. */
export interface StatusCounts {
  rows: StatusCountRow[];
  /** When the oldest pending row was queued, or null when none is pending. */
  oldestPendingAt: number | null;
  /** Rows still `processing` whose lease ran out by `now`. */
  expiredLeases: number;
}

/**
 * Reads the counts in one round trip: `status_counts` is kept exact by triggers in the same
 * transaction as every write, so this costs the same at 100k rows as at 10.
 */
export async function readStatusCounts(
  db: Db,
  kb: string | undefined,
  now: number,
): Promise<StatusCounts> {
  const kbOnly = kb === undefined ? sql`` : sql`AND kb_name = ${kb}`;
  const [countRows, oldest, expired] = await runAtomic(db, [
    sql`SELECT metric, model, sum(n) AS n, sum(truncated) AS truncated
          FROM status_counts WHERE 1 = 1 ${kbOnly}
         GROUP BY metric, model`,
    sql`SELECT min(queued_at) AS at FROM embed_queue WHERE status = 'pending' ${kbOnly}`,
    sql`SELECT count(*) AS n FROM embed_queue
         WHERE status = 'processing' AND lease_until <= ${now} ${kbOnly}`,
  ]);
  return {
    rows: (countRows?.results ?? []) as StatusCountRow[],
    oldestPendingAt: (oldest?.results[0]?.at as number | null | undefined) ?? null,
    expiredLeases: Number(expired?.results[0]?.n ?? 0),
  };
}
