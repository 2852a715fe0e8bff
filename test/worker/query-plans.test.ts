/**
 * The hot lookups must seek, not scan: at 100k entries a scan would cost every worker batch,
 * every search and every batch write ≈15 ms per query. Checked on the runtime's own SQLite.
 */
import { env } from "cloudflare:workers";
import type { SQL } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { openDb } from "../../src/storage/db";
import { keyIn } from "../../src/storage/entry-keys";
import { entries } from "../../src/storage/schema";
import { getCommittedVectors, getEntryVectors } from "../../src/storage/vector-reads";

const db = openDb(env.DB);

async function plan(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<string[]> {
  const { sql, params } = query.toSQL();
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

describe("query plans", () => {
  it("entries by many keys seek the primary key once per key", async () => {
    const keys = [
      { kbName: "a", id: "x" },
      { kbName: "b", id: "y" },
    ];
    const details = await plan(
      db
        .select()
        .from(entries)
        .where(keyIn(entries.kbName, entries.id, keys)),
    );
    expect(
      details.some((d) => /SEARCH entries USING .*INDEX.*\(kb_name=\? AND id=\?\)/.test(d)),
    ).toBe(true);
    expect(details.some((d) => /^SCAN entries\b/.test(d))).toBe(false);
  });

  it("passage vectors by many keys seek per key, the key list outermost", async () => {
    // The reads' SQL as they build it: a Db whose `all` keeps the statement instead of running it.
    const built: SQL[] = [];
    const capture = {
      all: async (query: SQL) => {
        built.push(query);
        return [];
      },
    } as unknown as typeof db;
    await getCommittedVectors(capture, "m", [{ kbName: "a", entryId: "x", seq: 0 }]);
    await getEntryVectors(capture, "m", [{ kbName: "a", id: "x" }]);
    const dialect = new SQLiteAsyncDialect();
    for (const query of built) {
      const details = await plan({ toSQL: () => dialect.sqlToQuery(query) });
      expect(details[0]).toMatch(/^SCAN j VIRTUAL TABLE/);
      expect(details.some((d) => /SEARCH p USING .*INDEX/.test(d))).toBe(true);
      expect(details.some((d) => /SEARCH v USING .*INDEX/.test(d))).toBe(true);
      expect(details.some((d) => /^SCAN (p|v)\b/.test(d))).toBe(false);
    }
  });
});
