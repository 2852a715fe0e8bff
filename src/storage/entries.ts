/** Queries on `entries` (and its FTS index). */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "./db";
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

/** A page of a KB's entries in id order, and the KB's total. */
export async function listEntryRows(db: Db, kbName: string, limit: number, offset: number) {
  const [rows, total] = await db.batch([
    db
      .select()
      .from(entries)
      .where(eq(entries.kbName, kbName))
      .orderBy(asc(entries.id))
      .limit(limit)
      .offset(offset),
    db.select({ n: sql<number>`count(*)` }).from(entries).where(eq(entries.kbName, kbName)),
  ]);
  return { rows, total: total[0]?.n ?? 0 };
}

/** Inserts a new entry; fails with a unique violation when the id exists in the KB. */
export function insertEntry(db: Db, row: EntryRow) {
  return db.insert(entries).values(row);
}

/**
 * Replaces an entry's fields, guarded by the hash the caller read: a concurrent writer that
 * changed the text in between makes this a no-op the caller detects and retries.
 */
export function updateEntryIfHash(db: Db, row: EntryRow, expectedHash: string) {
  const { kbName, id, createdAt: _created, ...fields } = row;
  return db
    .update(entries)
    .set(fields)
    .where(
      and(eq(entries.kbName, kbName), eq(entries.id, id), eq(entries.contentHash, expectedHash)),
    )
    .returning({ id: entries.id });
}

/** Deletes an entry row. */
export function deleteEntryRow(db: Db, kbName: string, id: string) {
  return db
    .delete(entries)
    .where(and(eq(entries.kbName, kbName), eq(entries.id, id)))
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
