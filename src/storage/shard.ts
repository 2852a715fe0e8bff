/**
 * Which EmbedWorker shard a KB belongs to, computed the same way in TypeScript (to route kicks)
 * and in SQL (so a shard's claim takes only its own KBs' rows): a weighted sum of the name's
 * character codes, modulo a prime, modulo the shard count. KB names are ASCII and at most 64
 * characters (`kbNameSchema`), so both sides see the same codes, and the sum stays far inside
 * exact integer range (64 × 127 × 2^31 < 2^53) in JavaScript and in SQLite.
 */
import { type SQL, sql } from "drizzle-orm";

/** Characters of a KB name that count (its maximum length). */
const POSITIONS = 64;
const PRIME = 2_147_483_647;
/** One odd, scattered weight per position (Knuth's multiplicative constant, reduced). */
const WEIGHTS = Array.from(
  { length: POSITIONS },
  (_, i) => (((i + 1) * 2_654_435_761) % PRIME) | 1,
);

/** A shard of the EmbedWorkers: `index` of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** The shard of `kbName` among `count` shards. */
export function shardOf(kbName: string, count: number): number {
  if (count <= 1) return 0;
  let sum = 0;
  for (let i = 0; i < POSITIONS; i++) {
    const code = kbName.charCodeAt(i);
    sum += (Number.isNaN(code) ? 0 : code) * (WEIGHTS[i] ?? 0);
  }
  return (sum % PRIME) % count;
}

/** The SQL twin of `shardOf` over a column holding KB names. */
function shardOfSql(column: string, count: number): string {
  const terms = WEIGHTS.map(
    (weight, i) => `coalesce(unicode(substr(${column}, ${i + 1}, 1)), 0) * ${weight}`,
  );
  return `((${terms.join(" + ")}) % ${PRIME}) % ${count}`;
}

/**
 * `AND <the row's KB belongs to shard>` for a claim's WHERE clause; empty with one shard, so the
 * single worker's queries are exactly what they were. `column` is a trusted identifier.
 */
export function inShard(column: string, shard: Shard | undefined): SQL {
  if (!shard || shard.count <= 1) return sql``;
  // Numbers only, built here: inlined rather than bound (D1 allows 100 bound parameters).
  return sql.raw(` AND ${shardOfSql(column, shard.count)} = ${Math.trunc(shard.index)}`);
}
