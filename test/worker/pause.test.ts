import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { WorkerAnswer } from "../../src/shared/api-types";
import {
  api,
  controlEmbedder,
  createEntry,
  embedderStats,
  embedStatus,
  queueRows,
  resetEmbedder,
  until,
  worker,
} from "./helpers";

beforeEach(resetEmbedder);

describe("pause and resume", () => {
  it("pause finishes the batch in hand, claims nothing new, and reports paused", async () => {
    for (let i = 0; i < 15; i++) await createEntry({ kb: "pause", title: `Item ${i}` });
    await controlEmbedder({ block: true });
    const running = runDurableObjectAlarm(worker());
    await until(async () => (await embedderStats()).waiting > 0, "the first batch");

    let paused = false;
    const pausing = api("/api/index/embed/pause", { method: "POST" }).then(async (res) => {
      paused = true;
      const body = await res.json();
      if (res.status !== 200) throw new Error(`pause failed: ${JSON.stringify(body)}`);
      return body;
    });
    // Pause waits for the batch in hand.
    await new Promise((r) => setTimeout(r, 50));
    expect(paused).toBe(false);
    await env.EMBEDDER?.fetch("http://embedder/__control/release", { method: "POST" });
    expect(await pausing).toMatchObject({ worker: { state: "paused" } });
    await running;

    const rows = await queueRows();
    expect(rows.filter((r) => r.status === "done")).toHaveLength(10);
    expect(rows.filter((r) => r.status === "processing")).toHaveLength(0);
    expect(rows.filter((r) => r.status === "pending")).toHaveLength(5);

    // While paused: kicks schedule nothing, the loop claims nothing, sync batches refuse.
    await worker().kick();
    expect(await runInDurableObject(worker(), (_, s) => s.storage.getAlarm())).toBeNull();
    const refused = await api("/api/index/embed", { method: "POST" });
    expect(refused.status).toBe(409);
    expect((await embedStatus()).worker.state).toBe("paused");

    const resumed = await (
      await api("/api/index/embed/resume", { method: "POST" })
    ).json<WorkerAnswer>();
    expect(resumed.worker.state).not.toBe("paused");
    expect(resumed.worker.next_alarm_at).not.toBeNull();
    // Resume arms the alarm for now: it fires on its own (or here, whichever comes first).
    await runDurableObjectAlarm(worker());
    await until(
      async () => (await queueRows()).every((r) => r.status === "done"),
      "the rest to be embedded after resume",
    );
  });
});
