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

/** D1 allows 100 bound parameters per statement; keys take at most this many of them. */
const KEY_PARAMS_PER_QUERY = 90;

/** `(kb, id) IN (the keys)`, planned as a seek per key. `keys` must not be empty. */
export function keyIn(kb: SQLiteColumn, id: SQLiteColumn, keys: EntryKey[]): SQL {
  const rows = sql.join(
    keys.map((k) => sql`(${k.kbName}, ${k.id})`),
    sql`, `,
  );
  return sql`(${kb}, ${id}) IN (SELECT column1, column2 FROM (VALUES ${rows}))`;
}

/**
 * Runs `read` over the keys in chunks that fit one statement (`paramsPerKey` bound parameters
 * each: two for an entry key), and concatenates the rows.
 */
export async function readByKeys<K, T>(
  keys: K[],
  read: (chunk: K[]) => Promise<T[]>,
  paramsPerKey = 2,
): Promise<T[]> {
  const perQuery = Math.floor(KEY_PARAMS_PER_QUERY / paramsPerKey);
  const out: T[] = [];
  for (let i = 0; i < keys.length; i += perQuery) {
    out.push(...(await read(keys.slice(i, i + perQuery))));
  }
  return out;
}

/** Joins `entryKey`'s parts: a NUL, which no KB name or id holds. */
const KEY_SEPARATOR = "\u0000";

/** An entry's key as one string (for maps and sets). */
export function entryKey(kbName: string, id: string): string {
  return `${kbName}${KEY_SEPARATOR}${id}`;
}

/** The parts of an `entryKey` string. */
export function splitEntryKey(key: string): EntryKey {
  const at = key.indexOf(KEY_SEPARATOR);
  return { kbName: key.slice(0, at), id: key.slice(at + 1) };
}
