/** The drizzle handle over D1, and atomic batches of mixed builder and raw statements. */
import type { SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";

/** Creates the typed database handle for a D1 binding. */
export function openDb(d1: D1Database) {
  return drizzle(d1, { schema });
}

export type Db = ReturnType<typeof openDb>;

/** A statement for `runAtomic`: a query builder, or raw `sql`. */
export type Statement = SQL | { toSQL(): { sql: string; params: unknown[] } };

const dialect = new SQLiteAsyncDialect();

function isSql(statement: Statement): statement is SQL {
  return !("toSQL" in statement);
}

/**
 * Runs statements as one D1 batch: atomic, in order, one round trip. (drizzle's own `batch`
 * cannot carry raw `sql` with parameters, which the conditional writes need.) Rows come back
 * with their column names.
 */
export async function runAtomic(
  db: Db,
  statements: Statement[],
): Promise<D1Result<Record<string, unknown>>[]> {
  if (statements.length === 0) return [];
  const prepared = statements.map((statement) => {
    const query = isSql(statement) ? dialect.sqlToQuery(statement) : statement.toSQL();
    return db.$client.prepare(query.sql).bind(...query.params);
  });
  return db.$client.batch<Record<string, unknown>>(prepared);
}

/** Named statements of one write (e.g. the entry row and its queue row). */
export type StatementGroup<K extends string> = Partial<Record<K, Statement>>;

/** What `runAtomicGroups` hands back: each group's results under its statements' names. */
export type GroupResults<K extends string> = Partial<Record<K, D1Result<Record<string, unknown>>>>;

/**
 * Runs groups of named statements as one `runAtomic` batch and hands each group back its results
 * by the same names, so a caller reads "the entry's update" rather than counting positions that
 * must mirror how the statement list was built.
 */
export async function runAtomicGroups<K extends string>(
  db: Db,
  groups: StatementGroup<K>[],
): Promise<GroupResults<K>[]> {
  const named = groups.flatMap((group, index) =>
    (Object.entries(group) as [K, Statement | undefined][]).flatMap(([name, statement]) =>
      statement === undefined ? [] : [{ index, name, statement }],
    ),
  );
  const results = await runAtomic(
    db,
    named.map((n) => n.statement),
  );
  const out = groups.map((): GroupResults<K> => ({}));
  named.forEach((n, i) => {
    const group = out[n.index];
    const result = results[i];
    if (group && result) group[n.name] = result;
  });
  return out;
}

/** How many statements a group holds. */
export function groupSize<K extends string>(group: StatementGroup<K>): number {
  return Object.values(group).filter((s) => s !== undefined).length;
}

/** True when a D1 error is a primary-key / unique violation. */
export function isUniqueViolation(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String(err.cause ?? "")}` : String(err);
  return /UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(text);
}
