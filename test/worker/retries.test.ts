import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { EntryRead } from "../../src/shared/api-types";
import {
  api,
  controlEmbedder,
  createEntry,
  embedStatus,
  makeDue,
  queueRows,
  resetEmbedder,
  vectorRows,
  worker,
} from "./helpers";

const BASE_MS = 60_000; // EMBED_RETRY_BASE_MS in vitest.config.ts
const MAX_ATTEMPTS = 3;

beforeEach(resetEmbedder);

async function rowOf(id: string) {
  const row = (await queueRows()).find((r) => r.entry_id === id);
  if (!row) throw new Error(`no queue row for ${id}`);
  return row;
}

describe("retries with backoff", () => {
  it("backs off exponentially with jitter, then fails after exactly the maximum attempts", async () => {
    await controlEmbedder({ failTexts: ["always-fails"] });
    await createEntry({ kb: "retry", title: "always-fails" });

    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const before = Date.now();
      await makeDue();
      await runDurableObjectAlarm(worker());
      const row = await rowOf("always-fails");
      expect(row.attempts).toBe(attempt);
      expect(row.error).toContain("injected failure");
      if (attempt < MAX_ATTEMPTS) {
        expect(row.status).toBe("pending");
        const delay = row.next_attempt_at - before;
        const expected = BASE_MS * 2 ** (attempt - 1);
        expect(delay).toBeGreaterThanOrEqual(expected - 50);
        expect(delay).toBeLessThanOrEqual(expected * 1.25 + 1000);
      } else {
        expect(row.status).toBe("failed");
      }
    }
    // A failed row is never claimed again on its own.
    await makeDue();
    await runDurableObjectAlarm(worker());
    expect((await rowOf("always-fails")).attempts).toBe(MAX_ATTEMPTS);
    const status = await embedStatus("retry");
    expect(status.failed).toBe(1);
    expect(status.last_error).toMatchObject({ entry_id: "always-fails" });
    const read = await (await api("/api/entries/always-fails?kb=retry")).json<EntryRead>();
    expect(read.embedding).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
    expect(read.embedding.error).toContain("injected failure");
  });

  it("retry-failed puts failed rows back to pending with attempts 0, and they then embed", async () => {
    await controlEmbedder({ failNext: 100 });
    await createEntry({ kb: "again", title: "Flaky" });
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await makeDue();
      await runDurableObjectAlarm(worker());
    }
    expect((await rowOf("flaky")).status).toBe("failed");
    await resetEmbedder();
    const res = await api("/api/index/embed/retry-failed", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kb: "again" }),
    });
    expect(await res.json()).toEqual({ requeued: 1 });
    expect(await rowOf("flaky")).toMatchObject({ status: "pending", attempts: 0, error: null });
    await runDurableObjectAlarm(worker());
    expect((await rowOf("flaky")).status).toBe("done");
  });

  it("a failing batch is retried per entry: one bad entry does not fail its neighbours", async () => {
    await controlEmbedder({ failTexts: ["poison"] });
    await createEntry({ kb: "iso", title: "good one" });
    await createEntry({ kb: "iso", title: "poison pill" });
    await createEntry({ kb: "iso", title: "good two" });
    await runDurableObjectAlarm(worker());
    expect(await rowOf("good-one")).toMatchObject({ status: "done" });
    expect(await rowOf("good-two")).toMatchObject({ status: "done" });
    expect(await rowOf("poison-pill")).toMatchObject({ status: "pending", attempts: 1 });
  });

  it.each([
    ["NaN components", { nan: true }],
    ["the wrong number of dimensions", { wrongDims: true }],
  ])("a vector with %s is a failure and is never stored", async (_what, fault) => {
    const kb = `bad-${Object.keys(fault)[0]?.toLowerCase()}`;
    await controlEmbedder(fault);
    await createEntry({ kb, title: "Broken vector" });
    await runDurableObjectAlarm(worker());
    const row = (await queueRows()).find((r) => r.entry_id === "broken-vector" && r.kb_name === kb);
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row?.error).toMatch(/non-finite|dimension/);
    expect((await vectorRows()).filter((v) => v.kb_name === kb)).toHaveLength(0);
    const stored = await env.DB.prepare(
      "SELECT count(*) AS n FROM entry_embeddings WHERE dims <> 384",
    ).first<{ n: number }>();
    expect(stored?.n).toBe(0);
  });
});
