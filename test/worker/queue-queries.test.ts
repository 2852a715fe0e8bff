import {
  createExecutionContext,
  createScheduledController,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker_ from "../../src/index";
import { openDb, runAtomic } from "../../src/storage/db";
import { claimDue, markDone, nextDueAt } from "../../src/storage/queue-claim";
import { enqueue } from "../../src/storage/queue-enqueue";
import { queueRows, worker } from "./helpers";

const db = openDb(env.DB);

async function insertEntry(kb: string, id: string, hash: string) {
  await env.DB.prepare(
    "INSERT INTO entries (kb_name, id, title, created_at, updated_at, content_hash) VALUES (?, ?, ?, 'now', 'now', ?)",
  )
    .bind(kb, id, id, hash)
    .run();
}

describe("queue queries", () => {
  it("enqueue takes effect only while the entry holds the hash", async () => {
    await insertEntry("q", "a", "h1");
    await runAtomic(db, [enqueue("q", "a", "h-other", 100)]);
    expect(await queueRows()).toEqual([]);
    await runAtomic(db, [enqueue("q", "a", "h1", 100)]);
    expect(await queueRows()).toMatchObject([
      { entry_id: "a", status: "pending", content_hash: "h1" },
    ]);
  });

  it("claims due pending rows and expired leases, at most `limit`, counting attempts", async () => {
    for (const id of ["b", "c", "d", "e"]) {
      await insertEntry("q", id, `h-${id}`);
      await runAtomic(db, [enqueue("q", id, `h-${id}`, 100)]);
    }
    await env.DB.prepare(
      "UPDATE embed_queue SET next_attempt_at = 10000 WHERE entry_id = 'e'",
    ).run();
    const first = await claimDue(db, 1000, 500, 2);
    expect(first).toHaveLength(2);
    expect(first.every((r) => r.attempts === 1 && r.leaseUntil === 1500)).toBe(true);
    const second = await claimDue(db, 1000, 500, 10);
    expect(second.map((r) => r.entryId).sort()).toEqual(
      ["a", "b", "c", "d"].filter((id) => !first.some((f) => f.entryId === id)),
    );
    // Not yet due, and live leases, are left alone.
    expect(await claimDue(db, 1000, 500, 10)).toEqual([]);
    expect(await nextDueAt(db)).toBe(1500);
    // After the leases expire, the rows are claimable again.
    const again = await claimDue(db, 1600, 500, 10);
    expect(again).toHaveLength(4);
    expect(again.every((r) => r.attempts === 2)).toBe(true);
  });

  it("a stale claim (older lease) cannot mark a row done", async () => {
    await insertEntry("q2", "x", "hx");
    await runAtomic(db, [enqueue("q2", "x", "hx", 0)]);
    const [old] = await claimDue(db, 10, 5, 1);
    if (!old) throw new Error("no claim");
    const [current] = await claimDue(db, 20, 5, 1); // the first lease expired at 15
    if (!current) throw new Error("no second claim");
    await runAtomic(db, [markDone(db, old, "m", 21)]);
    expect((await queueRows()).find((r) => r.entry_id === "x")?.status).toBe("processing");
    await runAtomic(db, [markDone(db, current, "m", 21)]);
    expect((await queueRows()).find((r) => r.entry_id === "x")?.status).toBe("done");
  });
});

describe("cron safety net", () => {
  it("kicks the worker when rows are due and its alarm was lost", async () => {
    await runInDurableObject(worker(), (_, state) => state.storage.deleteAlarm());
    await env.DB.prepare("UPDATE embed_queue SET status = 'pending', next_attempt_at = 0").run();
    const ctx = createExecutionContext();
    await worker_.scheduled(createScheduledController(), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await runInDurableObject(worker(), (_, s) => s.storage.getAlarm())).not.toBeNull();
  });
});
