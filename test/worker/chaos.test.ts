/**
 * The chaos suite: an embedder that fails at random, for certain entries, with NaN or the wrong
 * dimensions, slowly or never; the worker evicted mid-batch; alarm() throwing; and seeded random
 * interleavings of writes with embedding. After each scenario the queue is drained and the
 * invariants are checked (see chaos/invariants.ts). Every random choice comes from a printed seed.
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HASH_INFO } from "../../src/embedder/hash";
import type { Embedder } from "../../src/embedder/types";
import { embedNow } from "../../src/embedding/embed-now";
import { servingClaims } from "../../src/storage/claim-store";
import { openDb } from "../../src/storage/db";
import { IsolateStore } from "../../src/vectors/isolate-store";
import { appFetch as api, appCreate as createEntry, appSend as send } from "./app-fetch";
import { drain, parkAlarm, releaseEmbedder, runAlarm, startAlarm, untilHeld } from "./chaos/driver";
import { Interleaving } from "./chaos/interleave";
import { alwaysViolations, drainedViolations, MAX_ATTEMPTS } from "./chaos/invariants";
import { createRng } from "./chaos/prng";
import { syncSend } from "./chaos/sync-app";
import {
  controlEmbedder,
  expireLeases,
  makeDue,
  queueRows,
  resetEmbedder,
  until,
  vectorRows,
  worker,
} from "./helpers";

/** Seeds of the random interleavings; each runs STEPS steps (12 × 40 = 480 iterations). */
const SEEDS = [1, 7, 42, 99, 1337, 2024, 4096, 31337, 65537, 424242, 9001, 8675309];
const STEPS = 40;

beforeEach(resetEmbedder);
afterEach(async () => {
  // Whatever a scenario left behind, the next one starts from a drained queue.
  await drain();
});

async function expectDrainedInvariants(): Promise<void> {
  await drain();
  expect(await drainedViolations()).toEqual([]);
}

async function rowsOf(kb: string) {
  return (await queueRows()).filter((r) => r.kb_name === kb);
}

/** Runs alarm rounds with every backoff over, as real time eventually would. */
async function alarmRounds(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await makeDue();
    await runAlarm();
  }
}

describe("chaos: a faulty embedder", () => {
  it("failing 30% of calls at random: every row ends done, or failed after exactly 3 attempts", async () => {
    const kb = "chaos-rate";
    for (let i = 0; i < 30; i++) await createEntry({ kb, title: `Random ${i}`, body: `text ${i}` });
    await controlEmbedder({ failRate: 0.3, seed: 12345 });
    await alarmRounds(MAX_ATTEMPTS + 1);
    for (const row of await rowsOf(kb)) {
      expect(["done", "failed"]).toContain(row.status);
      if (row.status === "failed") {
        expect(row.attempts).toBe(MAX_ATTEMPTS);
        expect(row.error).toContain("injected");
      }
    }
    await expectDrainedInvariants();
  });

  it("failing only for certain entries: they fail after exactly 3 attempts, their neighbours embed", async () => {
    const kb = "chaos-poison";
    for (let i = 0; i < 12; i++) {
      await createEntry({ kb, title: `Entry ${i}`, body: i % 4 === 0 ? "poison inside" : "fine" });
    }
    await controlEmbedder({ failTexts: ["poison"] });
    await alarmRounds(MAX_ATTEMPTS);
    const rows = await rowsOf(kb);
    const poisoned = rows.filter((r) => ["entry-0", "entry-4", "entry-8"].includes(r.entry_id));
    expect(poisoned.map((r) => [r.status, r.attempts])).toEqual(
      poisoned.map(() => ["failed", MAX_ATTEMPTS]),
    );
    for (const r of poisoned) expect(r.error).toContain("injected failure for this text");
    expect(rows.filter((r) => r.status === "done")).toHaveLength(9);
    // One more round must not touch a failed row.
    await alarmRounds(1);
    expect((await rowsOf(kb)).filter((r) => r.status === "failed")).toHaveLength(3);
    await expectDrainedInvariants();
  });

  it.each([
    ["NaN components", { nan: true }],
    ["the wrong number of dimensions", { wrongDims: true }],
  ])(
    "returning %s: every attempt fails, nothing is stored, and retry-failed recovers",
    async (_what, fault) => {
      const kb = `chaos-${Object.keys(fault)[0]?.toLowerCase()}`;
      for (let i = 0; i < 5; i++) await createEntry({ kb, title: `Vector ${i}` });
      await controlEmbedder(fault);
      await alarmRounds(MAX_ATTEMPTS);
      const rows = await rowsOf(kb);
      expect(rows.map((r) => [r.status, r.attempts])).toEqual(rows.map(() => ["failed", 3]));
      for (const r of rows) expect(r.error).toMatch(/non-finite|dimension/);
      expect((await vectorRows()).filter((v) => v.kb_name === kb)).toEqual([]);

      await resetEmbedder();
      const res = await send("POST", "/api/index/embed/retry-failed", { kb });
      expect(await res.json()).toEqual({ requeued: 5 });
      await expectDrainedInvariants();
      expect((await rowsOf(kb)).map((r) => r.status)).toEqual(rows.map(() => "done"));
    },
  );

  it("slow: a delayed embedder delays the batch and loses nothing", async () => {
    const kb = "chaos-slow";
    for (let i = 0; i < 15; i++) await createEntry({ kb, title: `Slow ${i}` });
    await controlEmbedder({ delayMs: 50 });
    await runAlarm();
    expect((await rowsOf(kb)).map((r) => r.status)).toEqual(Array(15).fill("done"));
    await expectDrainedInvariants();
  });

  it("hung: an embedder call that never returns fails the attempt before the lease ends", {
    timeout: 20_000,
  }, async () => {
    const kb = "chaos-hang";
    for (let i = 0; i < 3; i++) await createEntry({ kb, title: `Hang ${i}` });
    const db = openDb(env.DB);
    const never = new Promise<never>(() => {});
    const hangs: Record<string, Embedder> = {
      embed: { info: async () => HASH_INFO, embed: () => never },
      info: { info: () => never, embed: () => never },
    };
    for (const [what, embedder] of Object.entries(hangs)) {
      await makeDue();
      const leaseMs = 400;
      const ctx = {
        db,
        vectors: new IsolateStore(db),
        embedder,
        maxAttempts: 3,
        retryBaseMs: 1000,
        now: Date.now,
        random: () => 0.5,
        passages: true,
        textsPerCall: 10,
        textsPerCycle: Number.POSITIVE_INFINITY,
        claims: servingClaims(db),
      };
      const outcome = await Promise.race([
        embedNow(ctx, leaseMs, { due: 10 }).then((run) => {
          expect(run.claimed, what).toBe(3);
          return run;
        }),
        new Promise<"stalled">((resolve) => setTimeout(() => resolve("stalled"), 5000)),
      ]);
      expect(outcome, `a hanging ${what}() stalls the batch`).not.toBe("stalled");
      // Committed under its own lease: the guarded update found the claim still its own.
      const rows = await rowsOf(kb);
      expect(rows.map((r) => r.status)).toEqual(["pending", "pending", "pending"]);
      for (const r of rows) expect(r.error).toMatch(/timed out/);
    }
    await expectDrainedInvariants();
  });
});

describe("chaos: the worker interrupted", () => {
  it("evicted mid-batch while writes race the held batch: leases recover, nothing is lost", async () => {
    const kb = "chaos-evict";
    for (let i = 0; i < 12; i++) await createEntry({ kb, title: `Evict ${i}`, body: `v1 ${i}` });
    await controlEmbedder({ block: true });
    const run = startAlarm();
    expect(await untilHeld(run)).toBe(true);
    // While the batch is in the embedder: one entry changes, one is deleted, one is new.
    await send("PATCH", `/api/entries/evict-0?kb=${kb}`, { body: "v2" });
    await api(`/api/entries/evict-1?kb=${kb}`, { method: "DELETE" });
    await createEntry({ kb, title: "Evict new" });
    await abortAllDurableObjects();
    // The dead worker's claims hold until their lease runs out.
    expect((await rowsOf(kb)).filter((r) => r.status === "processing")).toHaveLength(8);
    await expireLeases();
    // Here the evicted instance's batch still runs to its end once the embedder answers: a late
    // worker whose commit the lease guard must refuse (its vectors land only where still current).
    await releaseEmbedder();
    expect(String(await run.result)).toMatch(/abortAllDurableObjects/);
    expect((await rowsOf(kb)).filter((r) => r.status === "processing")).toHaveLength(8);
    expect(await alwaysViolations()).toEqual([]);
    await expectDrainedInvariants();
    const rows = await rowsOf(kb);
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.status === "done")).toBe(true);
  });

  it("a late worker (lease expired, rows reclaimed meanwhile) cannot overwrite the new claim", async () => {
    const kb = "chaos-late";
    for (let i = 0; i < 6; i++) await createEntry({ kb, title: `Late ${i}`, body: "v1" });
    await controlEmbedder({ block: true });
    const late = startAlarm();
    expect(await untilHeld(late)).toBe(true);
    await expireLeases();
    // A second worker (sync mode, its own in-process embedder) reclaims the rows; one changes.
    await send("PATCH", `/api/entries/late-0?kb=${kb}`, { body: "v2" });
    const stolen = await syncSend("POST", "/api/index/embed", { limit: 64 });
    expect(await stolen.json()).toMatchObject({ batch: { claimed: 6, embedded: 6 } });
    await releaseEmbedder();
    expect(await late.result).toBeNull();
    const rows = await rowsOf(kb);
    // Done by the second claim: the late commit changed nothing (late-0 was requeued by its edit).
    expect(rows.map((r) => [r.entry_id, r.status, r.attempts])).toEqual(
      rows.map((r) => [r.entry_id, "done", r.entry_id === "late-0" ? 1 : 2]),
    );
    expect(await alwaysViolations()).toEqual([]);
    await expectDrainedInvariants();
  });

  it("a claim whose lease expired on its last attempt is failed, not claimed a 4th time, by any worker", async () => {
    const kb = "chaos-exhausted";
    await createEntry({ kb, title: "Exhausted" });
    await env.DB.prepare(
      "UPDATE embed_queue SET status = 'processing', attempts = ?, lease_until = 1 WHERE kb_name = ?",
    )
      .bind(MAX_ATTEMPTS, kb)
      .run();
    // A sync-mode batch (no EmbedWorker) is a worker too: it must honour the maximum.
    const res = await syncSend("POST", "/api/index/embed", {});
    expect(res.status).toBe(200);
    const [row] = await rowsOf(kb);
    expect(row).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
    expect(row?.error).toContain("lease expired");
    await expectDrainedInvariants();
  });

  it("alarm() throws when D1 rejects the batch's commit; nothing half-written, the leases recover", async () => {
    const kb = "chaos-d1";
    for (let i = 0; i < 4; i++) await createEntry({ kb, title: `Commit ${i}` });
    await env.DB.prepare(
      `CREATE TRIGGER chaos_commit_fails BEFORE UPDATE OF status ON embed_queue
       WHEN OLD.status = 'processing' AND NEW.status <> 'processing'
       BEGIN SELECT RAISE(ABORT, 'chaos: D1 rejected the commit'); END`,
    ).run();
    try {
      const error = await startAlarm().result;
      expect(String(error)).toContain("chaos: D1 rejected the commit");
      const rows = await rowsOf(kb);
      expect(rows.map((r) => [r.status, r.attempts])).toEqual(rows.map(() => ["processing", 1]));
      // The vectors were in the same batch as the status change: rolled back with it.
      expect((await vectorRows()).filter((v) => v.kb_name === kb)).toEqual([]);
      // The worker still re-armed for when those leases expire.
      const alarm = await runInDurableObject(worker(), (_, s) => s.storage.getAlarm());
      expect(alarm).not.toBeNull();
    } finally {
      await env.DB.prepare("DROP TRIGGER IF EXISTS chaos_commit_fails").run();
      await parkAlarm();
    }
    await expireLeases();
    await expectDrainedInvariants();
    expect((await rowsOf(kb)).map((r) => [r.status, r.attempts])).toEqual(
      Array(4).fill(["done", 2]),
    );
  });

  it("pause finishes the batch in hand; a batch waiting behind it claims nothing afterwards", async () => {
    const kb = "chaos-pause";
    for (let i = 0; i < 15; i++) await createEntry({ kb, title: `Pause ${i}` });
    await controlEmbedder({ block: true });
    const run = startAlarm();
    expect(await untilHeld(run)).toBe(true);
    // One stub, so the two calls reach the worker in this order.
    const stub = worker();
    const waiting = stub.processNow();
    const paused = stub.pause();
    // Both calls must be in the worker before the batch in hand is let go.
    await until(
      () =>
        runInDurableObject(worker(), (_, state) => {
          const rows = state.storage.sql.exec("SELECT value FROM facts WHERE key = 'paused'");
          return rows.toArray()[0]?.value === "true";
        }),
      "the pause to reach the worker",
    );
    await releaseEmbedder();
    const status = await paused;
    expect(status.state).toBe("paused");
    expect((await rowsOf(kb)).filter((r) => r.status === "processing")).toEqual([]);
    expect(await run.result).toBeNull();
    expect(await waiting).toMatchObject({ claimed: 0 });
    const rows = await rowsOf(kb);
    // The ten of the batch in hand are done; the other five were never claimed.
    expect(rows.filter((r) => r.status === "done")).toHaveLength(10);
    expect(rows.filter((r) => r.status === "pending" && r.attempts === 0)).toHaveLength(5);
    await expectDrainedInvariants();
  });
});

describe("chaos: seeded random interleavings of writes with embedding", () => {
  it.each(SEEDS)(
    `seed %i: ${STEPS} steps, then drained, hold every invariant`,
    {
      timeout: 60_000,
    },
    async (seed) => {
      const run = new Interleaving(createRng(seed), `chaos-seed-${seed}`);
      for (let i = 0; i < STEPS; i++) {
        await run.step();
        await run.check();
      }
      await drain();
      await run.check();
      const problems = await drainedViolations();
      if (problems.length > 0) {
        throw new Error(
          `chaos seed ${seed}: ${problems.join("; ")}\n  steps:\n    ${run.log.join("\n    ")}`,
        );
      }
    },
  );
});

/** Seeds of the races of concurrent writes to one entry; each runs RACES races (10 × 20 = 200). */
const RACE_SEEDS = [3, 11, 23, 101, 777, 1999, 5150, 27182, 31415, 99991];
const RACES = 20;

describe("chaos: seeded races of concurrent PATCH, PUT and batch upserts to one entry", () => {
  it.each(RACE_SEEDS)(
    `seed %i: ${RACES} races lose no acknowledged field`,
    {
      timeout: 60_000,
    },
    async (seed) => {
      const rng = createRng(seed);
      // Three ids, so races meet entries fresh and long-contended, embedded or not.
      const run = new Interleaving(rng, `chaos-race-${seed}`, 3);
      let writes = 0;
      for (let i = 0; i < RACES; i++) {
        writes += await run.race();
        // Between races, sometimes the worker runs or anything else happens.
        if (rng.chance(0.3)) await run.step();
        await run.check();
      }
      await drain();
      await run.check();
      expect(writes).toBeGreaterThanOrEqual(2 * RACES);
      const problems = await drainedViolations();
      if (problems.length > 0) {
        throw new Error(
          `chaos race seed ${seed}: ${problems.join("; ")}\n  steps:\n    ${run.log.join("\n    ")}`,
        );
      }
    },
  );
});
