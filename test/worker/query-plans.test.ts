/**
 * The hot lookups must seek, not scan: at 100k entries a scan would cost every worker batch,
 * every search and every batch write ≈15 ms per query. Checked on the runtime's own SQLite.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openDb } from "../../src/storage/db";
import { keyIn } from "../../src/storage/entry-keys";
import { entries } from "../../src/storage/schema";

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
});
