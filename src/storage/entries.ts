/** Queries on `entries` (and its FTS index). */
import { and, eq, getTableColumns, sql } from "drizzle-orm";
import { type Db, runAtomic } from "./db";
import { type EntryKey, keyIn, readByKeys } from "./entry-keys";
import { type EntryRow, entries } from "./schema";

/** One entry by KB and id. */
export async function getEntryRow(
  db: Db,
  kbName: string,
  id: string,
): Promise<EntryRow | undefined> {
  return db
    .select()
    .from(entries)
    .where(and(eq(entries.kbName, kbName), eq(entries.id, id)))
    .get();
}

/** An entry as a list shows it: a short excerpt of the body, and the body only when asked. */
export type ListedRow = Omit<EntryRow, "body"> & { excerpt: string; body?: string };

/** How a list page is cut. */
export interface ListPage {
  limit: number;
  offset: number;
  /** Include each entry's body (otherwise only the excerpt). */
  bodies: boolean;
  /** Characters of the body in `excerpt`. */
  excerptChars: number;
  /**
   * Bytes of stored text the page may carry: rows are taken in order while the rows before them
   * hold less than this, so a page always has at least one row and ends past the budget by at
   * most one row.
   */
  maxBytes: number;
}

/** Per-row bytes a list answer adds besides the text columns (keys, dates, hash, numbers). */
const ROW_OVERHEAD_BYTES = 400;

/** `e.<column> AS <property>` for the columns of `entries` but the body. */
const LISTED_COLUMNS = sql.join(
  Object.entries(getTableColumns(entries))
    .filter(([key]) => key !== "body")
    .map(([key, column]) => sql`e.${sql.identifier(column.name)} AS ${sql.identifier(key)}`),
  sql`, `,
);

/**
 * A page of a KB's entries in id order, and the KB's total, in one round trip. The page is sized
 * first from the stored lengths alone (`octet_length` reads a value's size, not the value), and
 * only the rows that fit the byte budget are read, so a page of 500 large entries never reaches
 * the Worker whole.
 */
export async function listEntryRows(db: Db, kbName: string, page: ListPage) {
  const body = page.bodies ? sql`octet_length(body)` : sql`0`;
  const bodyColumn = page.bodies ? sql`, e.body AS body` : sql``;
  const [listed, counted] = await runAtomic(db, [
    sql`
      WITH page AS (
        SELECT id, octet_length(title) + octet_length(summary) + octet_length(tags)
                   + octet_length(metadata) + ${body} + ${ROW_OVERHEAD_BYTES} AS bytes
          FROM entries WHERE kb_name = ${kbName}
         ORDER BY id LIMIT ${page.limit} OFFSET ${page.offset}),
      sized AS (
        SELECT id, sum(bytes) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                     AS before
          FROM page)
      SELECT ${LISTED_COLUMNS}, substr(e.body, 1, ${page.excerptChars}) AS excerpt ${bodyColumn}
        FROM sized JOIN entries e ON e.kb_name = ${kbName} AND e.id = sized.id
       WHERE coalesce(sized.before, 0) < ${page.maxBytes}
       ORDER BY e.id`,
    sql`SELECT count(*) AS n FROM entries WHERE kb_name = ${kbName}`,
  ]);
  const rows = (listed?.results ?? []) as unknown as ListedRow[];
  const total = Number(counted?.results[0]?.n ?? 0);
  return { rows, total };
}

/** Inserts a new entry; fails with a unique violation when the id exists in the KB. */
export function insertEntry(db: Db, row: EntryRow) {
  return db.insert(entries).values(row);
}

/** Which stored incarnation and version of an entry a write was planned from. */
export interface ReadVersion {
  version: number;
  /** Tells a re-created entry (its version starts again at 1) from the one that was read. */
  createdAt: string;
}

/** Matches the entry as it was read: the same version of the same incarnation. */
function isVersion(kbName: string, id: string, read: ReadVersion) {
  return and(
    eq(entries.kbName, kbName),
    eq(entries.id, id),
    eq(entries.version, read.version),
    eq(entries.createdAt, read.createdAt),
  );
}

/**
 * Writes `row` over the entry only if it still has the version the caller read (`row.version`
 * must be `read.version + 1`). Any write in between, whatever fields it changed, bumped the
 * version, so this is a no-op (no row returned) that the caller detects and re-plans from a fresh
 * read: no concurrent change is ever silently overwritten. The guard is part of the primary-key
 * lookup the update does anyway.
 */
export function updateEntryIfVersion(db: Db, row: EntryRow, read: ReadVersion) {
  const { kbName, id, createdAt: _created, ...fields } = row;
  return db
    .update(entries)
    .set(fields)
    .where(isVersion(kbName, id, read))
    .returning({ id: entries.id });
}

/** Deletes an entry row: any version, or (with `read`) only that one. */
export function deleteEntryRow(db: Db, kbName: string, id: string, read?: ReadVersion) {
  return db
    .delete(entries)
    .where(
      read === undefined
        ? and(eq(entries.kbName, kbName), eq(entries.id, id))
        : isVersion(kbName, id, read),
    )
    .returning({ id: entries.id });
}

/** What a search result shows of an entry: never the whole body (up to 800 kB). */
export interface EntryHead {
  kbName: string;
  id: string;
  title: string;
  entryType: string;
  summary: string;
  /** The body's first `bodyChars` characters. */
  bodyHead: string;
}

/**
 * Entries by key, reading only what a search result shows: each row is bounded in bytes (title
 * and summary are bounded by validation, the body is cut in SQL) as well as in number.
 */
export async function getEntryHeadsByKeys(
  db: Db,
  keys: EntryKey[],
  bodyChars: number,
): Promise<EntryHead[]> {
  return readByKeys(keys, (chunk) =>
    db
      .select({
        kbName: entries.kbName,
        id: entries.id,
        title: entries.title,
        entryType: entries.entryType,
        summary: entries.summary,
        bodyHead: sql<string>`substr(${entries.body}, 1, ${bodyChars})`,
      })
      .from(entries)
      .where(keyIn(entries.kbName, entries.id, chunk)),
  );
}

/** Entries by key (for the worker); keys without an entry are simply absent. */
export async function getEntryRowsByKeys(db: Db, keys: EntryKey[]): Promise<EntryRow[]> {
  return readByKeys(keys, (chunk) =>
    db
      .select()
      .from(entries)
      .where(keyIn(entries.kbName, entries.id, chunk)),
  );
}
