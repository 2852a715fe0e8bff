import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import {
  controlEmbedder,
  createEntry,
  embedderStats,
  embedStatus,
  makeDue,
  queueRows,
  resetEmbedder,
  until,
  vectorRows,
  worker,
} from "./helpers";

beforeEach(resetEmbedder);

describe("EmbedWorker alarm loop", () => {
  it("a kick schedules the alarm; one alarm drains the queue in batches of EMBED_BATCH_SIZE", async () => {
    for (let i = 0; i < 25; i++)
      await createEntry({ kb: "loop", title: `Entry ${i}`, body: `text ${i}` });
    await worker().kick();
    const scheduled = await runInDurableObject(worker(), (_, state) => state.storage.getAlarm());
    expect(scheduled).not.toBeNull();

    expect(await runDurableObjectAlarm(worker())).toBe(true);
    const stats = await embedderStats();
    expect(stats.texts).toBe(25);
    // 10 + 10 + 5: one embedder call per batch (the info call is not an embed call).
    expect(stats.calls).toBe(3);
    expect((await queueRows()).every((r) => r.status === "done")).toBe(true);
    expect(await vectorRows()).toHaveLength(25);
  });

  it("processNow claims at most the batch size", async () => {
    for (let i = 0; i < 12; i++) await createEntry({ kb: "batch", title: `B ${i}` });
    const result = await worker().processNow();
    expect(result).toMatchObject({ paused: false, claimed: 10, embedded: 10 });
    // processNow re-arms for now, so the loop takes the rest (on its own, or run here).
    await runDurableObjectAlarm(worker());
    await until(async () => (await embedStatus("batch")).embedded === 12, "the rest embedded");
    expect(await embedStatus("batch")).toMatchObject({ entries: 12, pending: 0, processing: 0 });
  });

  it("sleeps (no alarm) when nothing is due, and re-arms for the earliest backoff", async () => {
    await runDurableObjectAlarm(worker());
    await makeDue();
    await runDurableObjectAlarm(worker());
    expect(await runInDurableObject(worker(), (_, s) => s.storage.getAlarm())).toBeNull();

    await controlEmbedder({ failTexts: ["rearm-me"] });
    await createEntry({ kb: "rearm", title: "rearm-me" });
    await runDurableObjectAlarm(worker());
    const row = (await queueRows()).find((r) => r.entry_id === "rearm-me");
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    const alarm = await runInDurableObject(worker(), (_, s) => s.storage.getAlarm());
    expect(alarm).toBe(row?.next_attempt_at);
  });
});
