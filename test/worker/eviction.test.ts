import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import {
  controlEmbedder,
  createEntry,
  embedderStats,
  embedStatus,
  expireLeases,
  queueRows,
  resetEmbedder,
  until,
  vectorRows,
  worker,
} from "./helpers";

beforeEach(resetEmbedder);

/** Leaves rows as a worker that died mid-batch leaves them: claimed, with a live lease. */
async function claimAsDeadWorker(kb: string, attempts: number, leaseUntil: number) {
  await env.DB.prepare(
    "UPDATE embed_queue SET status = 'processing', attempts = ?, lease_until = ? WHERE kb_name = ?",
  )
    .bind(attempts, leaseUntil, kb)
    .run();
}

async function release() {
  await env.EMBEDDER?.fetch("http://embedder/__control/release", { method: "POST" });
}

describe("leases and eviction", () => {
  it("evicting the worker mid-batch loses nothing and embeds nothing twice", async () => {
    for (const title of ["First", "Second", "Third"]) await createEntry({ kb: "evict", title });
    await controlEmbedder({ block: true });
    const running = runDurableObjectAlarm(worker()).catch((err: unknown) => err);
    await until(async () => (await embedderStats()).waiting > 0, "the batch to reach the embedder");
    await abortAllDurableObjects();
    await release();
    expect(String(await running)).toContain("abortAllDurableObjects");

    await expireLeases();
    await runDurableObjectAlarm(worker());
    const rows = await queueRows();
    expect(rows.map((r) => r.status)).toEqual(["done", "done", "done"]);
    expect(await vectorRows()).toHaveLength(3);
    const status = await embedStatus("evict");
    expect(status).toMatchObject({ entries: 3, embedded: 3, processing: 0, pending: 0 });
  });

  it("a dead worker's claim is left alone until its lease expires, then reclaimed", async () => {
    await createEntry({ kb: "dead", title: "Orphaned claim" });
    await claimAsDeadWorker("dead", 1, Date.now() + 60_000);
    await worker().kick();
    await runDurableObjectAlarm(worker());
    expect((await queueRows()).find((r) => r.kb_name === "dead")?.status).toBe("processing");
    expect((await embedStatus("dead")).expired_leases).toBe(0);

    await expireLeases();
    expect((await embedStatus("dead")).expired_leases).toBe(1);
    await runDurableObjectAlarm(worker());
    expect((await queueRows()).find((r) => r.kb_name === "dead")).toMatchObject({
      status: "done",
      attempts: 2,
    });
  });

  it("a claim whose lease expires after the last allowed attempt ends failed, with its error", async () => {
    await createEntry({ kb: "exhaust", title: "Doomed" });
    await claimAsDeadWorker("exhaust", 3, 1);
    await worker().kick();
    await runDurableObjectAlarm(worker());
    const row = (await queueRows()).find((r) => r.kb_name === "exhaust");
    expect(row).toMatchObject({ status: "failed", attempts: 3 });
    expect(row?.error).toContain("lease expired");
  });
});
