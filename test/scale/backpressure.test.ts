import { beforeEach, describe, expect, it } from "vitest";
import {
  createEntry,
  drainAllShards,
  embedStatus,
  fakeAi,
  kbOfShard,
  passageVectorCount,
  queueRows,
} from "./helpers";

beforeEach(() => fakeAi().configure({ latencyMs: 30, seed: 5 }));

describe("429 with Retry-After is backpressure, not failure", () => {
  it("a storm of 429s costs no attempt and fails nothing", async () => {
    const kb = kbOfShard(1);
    for (let i = 0; i < 20; i++) await createEntry({ kb, title: `Stormy ${i}` });
    await fakeAi().storm(8, 1);
    await drainAllShards();

    const stats = await fakeAi().stats();
    expect(stats.rateLimited).toBe(8);
    const rows = await queueRows();
    expect(rows.every((r) => r.status === "done" && r.attempts === 1 && r.error === null)).toBe(
      true,
    );
    expect((await passageVectorCount()).rows).toBe(20);
    expect(stats.repeatedTexts).toBe(0);
    const status = await embedStatus(kb);
    expect(status).toMatchObject({ embedded: 20, failed: 0 });
    expect(status.last_error).toBeNull();
  });

  it("no call reaches the embedder before Retry-After has passed", async () => {
    const kb = kbOfShard(2);
    for (let i = 0; i < 15; i++) await createEntry({ kb, title: `Patient ${i}` });
    await fakeAi().storm(1, 2);
    await drainAllShards();

    const { log } = await fakeAi().stats();
    const refused = log.find((call) => call.outcome === "rate_limited");
    if (!refused) throw new Error("the storm never happened");
    // Calls already on their way when the 429 was answered may arrive a moment after it; every
    // call sent after the worker heard it waits the whole 2 s.
    const after = log.filter((call) => call.at > refused.at + 50);
    expect(after.length).toBeGreaterThan(0);
    for (const call of after) expect(call.at - refused.at).toBeGreaterThanOrEqual(1990);
    expect((await queueRows()).every((r) => r.attempts === 1)).toBe(true);
  });

  it("busy past the round's deadline: the rows go back with their attempt refunded", async () => {
    const kb = kbOfShard(0);
    await createEntry({ kb, title: "Deferred" });
    // Longer than the lease (60 s): the round cannot call before its deadline.
    await fakeAi().storm(1, 120);
    await drainAllShards(1).catch(() => undefined);
    const row = (await queueRows()).find((r) => r.kb_name === kb);
    expect(row).toMatchObject({ status: "pending", attempts: 0, error: null });
    expect(row?.next_attempt_at).toBeGreaterThan(Date.now() + 100_000);
    expect((await fakeAi().stats()).rateLimited).toBe(1);
  });
});
