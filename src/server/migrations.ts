/**
 * Applies the D1 migrations of wrangler.toml's `migrations_dir` on start, recording them in
 * wrangler's own tracking table (`d1_migrations` unless `migrations_table` says otherwise) with
 * wrangler's schema and naming, so `wrangler d1 migrations apply --local` agrees about what ran.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Miniflare } from "miniflare";
import { unstable_readConfig, unstable_splitSqlQuery } from "wrangler";
import { WRANGLER_CONFIG } from "./paths.js";

/** The D1 binding as Miniflare hands it to Node. */
export type D1Database = Awaited<ReturnType<Miniflare["getD1Database"]>>;

/** Where a D1 binding's migrations live and where they are tracked. */
export interface MigrationSource {
  binding: string;
  dir: string;
  table: string;
}

/** The migration settings of every D1 database in wrangler.toml. */
export function readMigrationSources(): MigrationSource[] {
  const config = unstable_readConfig({ config: WRANGLER_CONFIG });
  const root = dirname(WRANGLER_CONFIG);
  const databases: { binding: string; migrations_dir?: string; migrations_table?: string }[] =
    config.d1_databases;
  return databases.map((db) => ({
    binding: db.binding,
    dir: resolve(root, db.migrations_dir ?? "migrations"),
    table: db.migrations_table ?? "d1_migrations",
  }));
}

/** Wrangler orders migrations by the number before the first `_`. */
function migrationOrder(a: string, b: string): number {
  return Number.parseInt(a.split("_")[0] ?? "", 10) - Number.parseInt(b.split("_")[0] ?? "", 10);
}

/** Applies the unapplied migrations of `source` to `db`; returns the names applied. */
export async function applyMigrations(db: D1Database, source: MigrationSource): Promise<string[]> {
  if (!existsSync(source.dir)) return [];
  // The table name comes from wrangler.toml, not from a user request; quoted all the same.
  const table = `"${source.table.replaceAll('"', '""')}"`;
  await db
    .prepare(
      `CREATE TABLE IF NOT EXISTS ${table}(
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        name       TEXT UNIQUE,
        applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
      )`,
    )
    .run();
  const applied = new Set(
    (await db.prepare(`SELECT name FROM ${table}`).all<{ name: string }>()).results.map(
      (row) => row.name,
    ),
  );
  const files = (await readdir(source.dir))
    .filter((name) => name.endsWith(".sql") && !applied.has(name))
    .sort(migrationOrder);
  for (const name of files) {
    const sql = await readFile(join(source.dir, name), "utf8");
    const statements = unstable_splitSqlQuery(sql).map((query) => db.prepare(query));
    // One batch = one transaction: a migration and its record commit together or not at all.
    await db.batch([
      ...statements,
      db.prepare(`INSERT INTO ${table} (name) VALUES (?)`).bind(name),
    ]);
  }
  return files;
}
