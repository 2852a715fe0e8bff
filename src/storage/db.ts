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

/** True when a D1 error is a primary-key / unique violation. */
export function isUniqueViolation(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String(err.cause ?? "")}` : String(err);
  return /UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(text);
}
