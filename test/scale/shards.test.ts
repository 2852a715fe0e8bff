import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { ServerMessage } from "../../src/shared/messages";
import { shardOf } from "../../src/storage/shard";
import {
  api,
  createEntry,
  drainAllShards,
  embedStatus,
  fakeAi,
  kbOfShard,
  queueRows,
  SHARDS,
  shard,
  until,
} from "./helpers";

beforeEach(() => fakeAi().configure({ latencyMs: 5 }));

/** Whether shard `index` has an alarm set. */
const hasAlarm = (index: number) =>
  runInDurableObject(shard(index), async (_, state) => (await state.storage.getAlarm()) !== null);

describe("EmbedWorker shards", () => {
  it("spreads KBs over the shards", () => {
    const owners = new Set(Array.from({ length: 30 }, (_, i) => shardOf(`kb-${i}`, SHARDS)));
    expect(owners.size).toBe(SHARDS);
    expect(shardOf("anything", 1)).toBe(0);
  });

  it("each KB is embedded by exactly the shard it hashes to, and writes kick only that shard", async () => {
    const kbs = Array.from({ length: 12 }, (_, i) => `notes-${i}`);
    for (const kb of kbs) await createEntry({ kb, title: `In ${kb}` });
    const owners = new Set(kbs.map((kb) => shardOf(kb, SHARDS)));
    for (let i = 0; i < SHARDS; i++) expect(await hasAlarm(i)).toBe(owners.has(i));

    for (let index = 0; index < SHARDS; index++) {
      await runDurableObjectAlarm(shard(index));
      const rows = await queueRows();
      for (const row of rows) {
        const owner = shardOf(row.kb_name, SHARDS);
        // Done exactly when its own shard has run; untouched (attempts 0) before that.
        expect({ kb: row.kb_name, done: row.status === "done", attempts: row.attempts }).toEqual({
          kb: row.kb_name,
          done: owner <= index,
          attempts: owner <= index ? 1 : 0,
        });
      }
    }
  });

  it("the status aggregates the shards and lists each", async () => {
    const kbs = Array.from({ length: SHARDS }, (_, i) => kbOfShard(i, ["kb-0"]));
    for (const [i, kb] of kbs.entries()) {
      for (let n = 0; n <= i; n++) await createEntry({ kb, title: `Counted ${n}` });
    }
    await drainAllShards();
    const status = await embedStatus();
    if (status.worker.state === "absent" || !("shards" in status.worker)) {
      throw new Error("no shard statuses");
    }
    const shards = status.worker.shards ?? [];
    expect(shards.map((s) => s.shard)).toEqual(
      Array.from({ length: SHARDS }, (_, index) => ({ index, count: SHARDS })),
    );
    // Shard i embedded i + 1 entries here (and the previous test's, all within the minute).
    const total = shards.reduce((n, s) => n + s.embedded_last_minute, 0);
    expect(status.throughput_last_minute).toBe(total);
    expect(total).toBe(status.embedded);
    expect(status.worker.state).toBe("idle");
    expect(status.worker.concurrency).toBe(4);

    const paused = await api("/api/index/embed/pause", { method: "POST" });
    const { worker } = (await paused.json()) as { worker: { state: string } };
    expect(worker.state).toBe("paused");
    const again = (await embedStatus()).worker;
    expect("shards" in again && again.shards?.every((s) => s.state === "paused")).toBe(true);
    await api("/api/index/embed/resume", { method: "POST" });
    expect((await embedStatus()).worker.state).not.toBe("paused");
  });

  it("a subscriber of /ws hears embed_complete from every shard", async () => {
    const res = await api("/ws", { headers: { Upgrade: "websocket" } });
    const ws = res.webSocket;
    if (!ws) throw new Error("no WebSocket");
    const messages: ServerMessage[] = [];
    ws.addEventListener("message", (event) => {
      messages.push(JSON.parse(typeof event.data === "string" ? event.data : "{}"));
    });
    ws.accept();
    const kbs = Array.from({ length: SHARDS }, (_, i) => kbOfShard(i, ["kb-0", "kb-1", "kb-2"]));
    for (const kb of kbs) await createEntry({ kb, title: "Heard" });
    await drainAllShards();
    await until(
      async () => messages.filter((m) => m.type === "embed_complete").length === SHARDS,
      "embed_complete from every shard",
    );
    const heard = messages.flatMap((m) => (m.type === "embed_complete" ? [m.kb_name] : []));
    expect(heard.sort()).toEqual([...kbs].sort());
    ws.close(1000, "done");
  });
});
