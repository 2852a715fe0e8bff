/** The worker's claim is bounded by the bytes of text it takes, not only by its row count. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openDb } from "../../src/storage/db";
import { claimDueWithEntries } from "../../src/storage/queue-claim";
import { createEntry, queueRows } from "./helpers";

const db = openDb(env.DB);
const claim = (now: number, maxBytes: number) =>
  claimDueWithEntries(db, { now, leaseMs: 1000, limit: 256, maxAttempts: 3, maxBytes });

describe("claimDueWithEntries", () => {
  it("claims rows while the text before them is under the byte budget, at least one", async () => {
    // Five entries of about 3 kB each, in rowid order e0 … e4.
    for (let i = 0; i < 5; i++) {
      await createEntry({ kb: "bytes", id: `e${i}`, title: `E${i}`, body: "x".repeat(3000) });
    }
    await env.DB.prepare("UPDATE embed_queue SET next_attempt_at = 0").run();
    // 7,000 bytes: e0 (0 before), e1 (≈3 kB before), e2 (≈6 kB before); e3 starts past it.
    const first = await claim(1000, 7000);
    expect(first.claimed.map((c) => c.entryId)).toEqual(["e0", "e1", "e2"]);
    expect(first.claimed.every((c) => c.attempts === 1 && c.leaseUntil === 2000)).toBe(true);
    // The entries come back with what embedding reads, not their metadata or tags.
    expect(first.entries).toHaveLength(3);
    expect(Object.keys(first.entries[0] ?? {}).sort()).toEqual(
      ["body", "contentHash", "id", "kbName", "summary", "title"].sort(),
    );
    // A budget smaller than one entry still claims one: the queue always moves.
    const second = await claim(1000, 10);
    expect(second.claimed.map((c) => c.entryId)).toEqual(["e3"]);
    // Unclaimed rows stay pending with their attempts untouched.
    const rows = await queueRows();
    expect(rows.find((r) => r.entry_id === "e4")).toMatchObject({ status: "pending", attempts: 0 });
    // Expired leases are claimable again under the same budget.
    const third = await claim(5000, 7000);
    expect(third.claimed.map((c) => c.entryId)).toEqual(["e0", "e1", "e2"]);
    expect(third.claimed.every((c) => c.attempts === 2)).toBe(true);
  });
});
