import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import {
  createEntry,
  drainAllShards,
  embedStatus,
  expireLeases,
  fakeAi,
  kbOfShard,
  passageVectorCount,
  queueRows,
  SHARDS,
  shard,
  until,
} from "./helpers";

beforeEach(() => fakeAi().configure({ latencyMs: 100, jitter: 0.3, seed: 3 }));

describe("several rounds in flight against a remote embedder", () => {
  it("drains with every entry embedded once: none lost, none twice", async () => {
    const kbs = Array.from({ length: SHARDS }, (_, i) => kbOfShard(i));
    for (let i = 0; i < 45; i++) {
      await createEntry({ kb: kbs[i % kbs.length], title: `Entry ${i}`, body: `Body of ${i}.` });
    }
    await drainAllShards();

    const rows = await queueRows();
    expect(rows).toHaveLength(45);
    expect(rows.every((r) => r.status === "done" && r.attempts === 1)).toBe(true);
    const stats = await fakeAi().stats();
    const vectors = await passageVectorCount();
    expect(vectors.rows).toBe(45);
    // Every passage went to the embedder exactly once, in calls of at most EMBED_BATCH_SIZE.
    expect(stats.textsServed).toBe(vectors.rows);
    expect(stats.repeatedTexts).toBe(0);
    expect(stats.log.every((call) => call.texts <= 5)).toBe(true);
    // Three shards with one round each would never have more than three calls in flight.
    expect(stats.maxInFlight).toBeGreaterThan(SHARDS);
    expect(await embedStatus()).toMatchObject({ entries: 45, embedded: 45, pending: 0 });
  });

  it("evicting a worker with rounds in flight loses nothing; the rows come back after their lease", async () => {
    await fakeAi().configure({ latencyMs: 60_000 });
    const kb = kbOfShard(0, ["kb-0"]);
    for (let i = 0; i < 12; i++) await createEntry({ kb, title: `Evicted ${i}` });
    // Not awaited: the aborted alarm's own promise settles only when its embedder calls do.
    void runDurableObjectAlarm(shard(0)).catch(() => undefined);
    await until(async () => (await fakeAi().stats()).calls >= 3, "three calls in flight");
    await abortAllDurableObjects();
    const held = (await queueRows()).filter((r) => r.kb_name === kb);
    expect(held.filter((r) => r.status === "processing")).toHaveLength(12);

    await fakeAi().configure({ latencyMs: 10 });
    await expireLeases();
    await drainAllShards();
    const rows = (await queueRows()).filter((r) => r.kb_name === kb);
    expect(rows.every((r) => r.status === "done" && r.attempts === 2)).toBe(true);
    const status = await embedStatus(kb);
    expect(status).toMatchObject({ entries: 12, embedded: 12, processing: 0, pending: 0 });
  }, 30_000);
});
