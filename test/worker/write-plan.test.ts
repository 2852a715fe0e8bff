/**
 * The write core on its own: planned writes run in one D1 batch and each learns by name whether
 * it applied; a write planned from a stale version applies nothing (nor its queue statement); and
 * writes that keep losing end in one `write_conflict` naming them.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { contentHash } from "../../src/domain/content";
import type { EntryFields } from "../../src/domain/entry-input";
import { applyWrites, planWrite, writeInRounds } from "../../src/domain/write-plan";
import { ApiError } from "../../src/errors";
import { openDb } from "../../src/storage/db";
import { getEntryRow } from "../../src/storage/entries";
import { queueRows } from "./helpers";

const db = openDb(env.DB);

function fields(title: string, body: string): EntryFields {
  return {
    title,
    body,
    summary: "",
    entry_type: "note",
    tags: [],
    importance: 5,
    metadata: {},
  };
}

async function target(kbName: string, id: string, body: string) {
  const f = fields(id, body);
  return { kbName, id, fields: f, hash: await contentHash(f) };
}

describe("write plan", () => {
  it("tells each write of one batch whether it applied, by name, whatever statements it has", async () => {
    const first = planWrite(db, await target("wp", "a", "one"), undefined, 1000, "background");
    const second = planWrite(db, await target("wp", "b", "one"), undefined, 1000, "off");
    expect((await applyWrites(db, [first, second])).map((r) => r.applied)).toEqual([true, true]);
    // Only the write planned with embedding on queued its text.
    expect((await queueRows()).map((r) => r.entry_id)).toEqual(["a"]);

    const storedA = await getEntryRow(db, "wp", "a");
    const storedB = await getEntryRow(db, "wp", "b");
    if (!storedA || !storedB) throw new Error("the creates were not stored");
    // `b` is planned from a version that is no longer current: its guard fails, and the queue
    // statement of its new text does nothing either; `a`'s text change applies and re-queues.
    const stale = { ...storedB, version: storedB.version - 1 };
    const updateA = planWrite(db, await target("wp", "a", "two"), storedA, 2000, "background");
    const updateB = planWrite(db, await target("wp", "b", "two"), stale, 2000, "background");
    expect(updateB.followUp).toBe("enqueue");
    const outcomes = await applyWrites(db, [updateB, updateA]);
    expect(outcomes.map((r) => [r.write.row.id, r.applied])).toEqual([
      ["b", false],
      ["a", true],
    ]);
    expect((await getEntryRow(db, "wp", "b"))?.body).toBe("one");
    expect((await getEntryRow(db, "wp", "a"))?.body).toBe("two");
    expect(await queueRows()).toMatchObject([
      { entry_id: "a", status: "pending", content_hash: updateA.row.contentHash },
    ]);
  });

  it("a text change with embedding off drops the queue row of the older text", async () => {
    const created = planWrite(db, await target("wp-off", "c", "one"), undefined, 1000, "sync");
    await applyWrites(db, [created]);
    const stored = await getEntryRow(db, "wp-off", "c");
    if (!stored) throw new Error("the create was not stored");
    const same = planWrite(db, await target("wp-off", "c", "one"), stored, 2000, "off");
    expect(same.kind === "update" && !same.textChanged && same.followUp).toBe("none");
    const changed = planWrite(db, await target("wp-off", "c", "two"), stored, 2000, "off");
    expect(changed.followUp).toBe("dequeue-stale");
    expect((await applyWrites(db, [changed]))[0]?.applied).toBe(true);
    expect((await queueRows()).filter((r) => r.entry_id === "c")).toEqual([]);
  });

  it("items that keep losing their race end in one write_conflict naming them", async () => {
    let rounds = 0;
    const items = [
      { kbName: "wp", id: "x", index: 0 },
      { kbName: "wp", id: "y", index: 1 },
    ];
    const error = await writeInRounds(items, async (todo) => {
      rounds++;
      // `x` is written in the first round; `y` loses every time.
      return todo.filter((i) => i.id === "y");
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    if (!(error instanceof ApiError)) return;
    expect([error.status, error.code]).toEqual([409, "write_conflict"]);
    expect(error.details).toEqual([{ index: 1, kb: "wp", id: "y" }]);
    expect(rounds).toBeGreaterThan(1);
    // Nothing left after a round: no conflict, and no more rounds.
    let calls = 0;
    await writeInRounds(items, async () => {
      calls++;
      return [];
    });
    expect(calls).toBe(1);
  });
});
