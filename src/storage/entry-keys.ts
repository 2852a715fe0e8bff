/**
 * Entries looked up by many (kb, id) keys in one query (the worker's batch, search results, a
 * batch write's comparison): one shape of the key list and one chunking, for every such read.
 * The keys go in as a subquery over a VALUES list, which every SQLite plans as one primary-key
 * seek per key; the shorter row-value form `(kb_name, id) IN (VALUES …)` seeks on workerd's
 * SQLite but scans the whole table on older ones (3.40, as Debian's `sqlite3` ships).
 */
import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/** An entry's key. */
export interface EntryKey {
  kbName: string;
  id: string;
}

/** D1 allows 100 bound parameters per statement; two per key. */
const KEYS_PER_QUERY = 45;

/** `(kb, id) IN (the keys)`, planned as a seek per key. `keys` must not be empty. */
export function keyIn(kb: SQLiteColumn, id: SQLiteColumn, keys: EntryKey[]): SQL {
  const rows = sql.join(
    keys.map((k) => sql`(${k.kbName}, ${k.id})`),
    sql`, `,
  );
  return sql`(${kb}, ${id}) IN (SELECT column1, column2 FROM (VALUES ${rows}))`;
}

/** Runs `read` over the keys in chunks that fit one statement, and concatenates the rows. */
export async function readByKeys<T>(
  keys: EntryKey[],
  read: (chunk: EntryKey[]) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    out.push(...(await read(keys.slice(i, i + KEYS_PER_QUERY))));
  }
  return out;
}
