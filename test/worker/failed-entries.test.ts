import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import {
  api,
  controlEmbedder,
  createEntry,
  makeDue,
  queueRows,
  resetEmbedder,
  send,
  worker,
} from "./helpers";

const MAX_ATTEMPTS = 3; // EMBED_MAX_ATTEMPTS in vitest.config.ts

beforeEach(resetEmbedder);

/** Runs the loop until every attempt is spent. */
async function exhaustAttempts(): Promise<void> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    await makeDue();
    await runDurableObjectAlarm(worker());
  }
}

interface FailedList {
  failed: {
    kb_name: string;
    entry_id: string;
    error: string;
    attempts: number;
    updated_at: string;
  }[];
}

describe("failed entries: list and retry one", () => {
  it("lists failed rows with their errors and retries exactly one entry", async () => {
    await controlEmbedder({ failTexts: ["poison"] });
    await createEntry({ kb: "fail", title: "poison one" });
    await createEntry({ kb: "fail", title: "poison two" });
    await createEntry({ kb: "other", title: "poison three" });
    await createEntry({ kb: "fail", title: "healthy" });
    await exhaustAttempts();

    const all = (await (await api("/api/index/embed/failed")).json()) as FailedList;
    expect(all.failed.map((f) => `${f.kb_name}/${f.entry_id}`).sort()).toEqual([
      "fail/poison-one",
      "fail/poison-two",
      "other/poison-three",
    ]);
    for (const f of all.failed) {
      expect(f.attempts).toBe(MAX_ATTEMPTS);
      expect(f.error).toContain("injected failure");
      expect(Number.isNaN(Date.parse(f.updated_at))).toBe(false);
    }
    const oneKb = (await (
      await api("/api/index/embed/failed?kb=fail&limit=1")
    ).json()) as FailedList;
    expect(oneKb.failed).toHaveLength(1);
    expect(oneKb.failed[0]?.kb_name).toBe("fail");

    await resetEmbedder();
    const res = await send("POST", "/api/index/embed/retry-failed", {
      kb: "fail",
      id: "poison-one",
    });
    expect(await res.json()).toEqual({ requeued: 1 });
    const rows = await queueRows();
    expect(rows.find((r) => r.entry_id === "poison-one")).toMatchObject({
      status: "pending",
      attempts: 0,
      error: null,
    });
    expect(rows.find((r) => r.entry_id === "poison-two")?.status).toBe("failed");
    expect(rows.find((r) => r.entry_id === "poison-three")?.status).toBe("failed");

    await runDurableObjectAlarm(worker());
    expect((await queueRows()).find((r) => r.entry_id === "poison-one")?.status).toBe("done");
    // A row that is not failed is left alone.
    const again = await send("POST", "/api/index/embed/retry-failed", {
      kb: "fail",
      id: "healthy",
    });
    expect(await again.json()).toEqual({ requeued: 0 });
  });

  it("rejects an id without its kb, and bad limits", async () => {
    const res = await send("POST", "/api/index/embed/retry-failed", { id: "x" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
    expect((await api("/api/index/embed/failed?limit=0")).status).toBe(400);
  });
});
