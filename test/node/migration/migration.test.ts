/**
 * Changing the model without losing search, on the real local server: `hash` → the bundled model
 * → back, while writes, updates and deletes run and a search runs every 100 ms.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  EmbedStatus,
  MigrationEstimate,
  MigrationStatus,
} from "../../../src/shared/api-types.js";
import {
  api,
  removeDir,
  runCli,
  startServer,
  type TestServer,
  waitFor,
} from "../../support/server.js";
import { observe } from "./observer.js";

/** Real servers, a real model, and a machine shared with other tests: minutes, not seconds. */
const TEST_TIMEOUT_MS = 300_000;
const KB = "mig";
const status = (url: string) => api<EmbedStatus>(url, "GET", `/api/index/embed-status?kb=${KB}`);
const create = (url: string, title: string, body: string) =>
  api(url, "POST", "/api/entries", { kb: KB, title, body });

/** Everything embedded with the serving model, nothing queued, nothing failed. */
async function reconciled(url: string): Promise<boolean> {
  const s = await status(url);
  return (
    s.pending === 0 &&
    s.processing === 0 &&
    s.failed === 0 &&
    s.embedded === s.entries &&
    s.migration.target === null
  );
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ env: { PYRITE_MODEL: "hash", EMBED_BATCH_SIZE: "4" } });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  if (server) await removeDir(server.stateDir);
});

describe("migrating the model", () => {
  it(
    "hash → bundled → back: search never empty or mixed; writes run throughout",
    async () => {
      const { url } = server;
      const topics = ["river", "forest", "harbour", "mountain", "desert", "glacier"];
      for (const [i, topic] of topics.entries()) {
        await create(
          url,
          `Note ${i} on the ${topic}`,
          `A short note about the ${topic} and its weather.`,
        );
        await create(url, `Log ${i} of the ${topic}`, `Observations of the ${topic}, day ${i}.`);
      }
      await waitFor(async () => reconciled(url), 30_000, "the first embedding");
      const before = await status(url);
      const hash = before.migration.serving;
      expect(hash).toMatch(/^hash-v1\|/);
      const untouched = new Set([
        "note-0-on-the-river",
        "log-1-of-the-forest",
        "note-2-on-the-harbour",
      ]);

      // The dry run measures the bundled model on the KB's own text and changes nothing.
      const dry = await runCli(["index", "migrate", "--model", "bundled", "--dry-run", "--json"], {
        url,
      });
      expect(dry.code, dry.stderr).toBe(0);
      const estimate = JSON.parse(dry.stdout) as MigrationEstimate;
      expect(estimate).toMatchObject({ entries: 12, passages: 12 });
      expect(estimate.tokens).toBeGreaterThan(12 * 5);
      expect(estimate.seconds).toBeGreaterThan(0);
      expect(estimate.sample).toMatchObject({ entries: 12, passages: 12 });
      expect((await status(url)).migration).toMatchObject({ serving: hash, target: null });

      const watcher = await observe(url, KB, "weather by the river");
      const started = await api<{ started: boolean; queued: number; migration: MigrationStatus }>(
        url,
        "POST",
        "/api/index/migrate",
        { model: "bundled" },
      );
      expect(started).toMatchObject({ started: true, queued: 12 });
      const bundled = started.migration.target;
      expect(bundled).toMatch(/^use-lite-en@/);
      // Asking again for another model while one runs is refused; nothing changes.
      const other = await fetch(`${url}/api/index/migrate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "hash" }),
      });
      expect(other.status).toBe(409);
      const shown = await runCli(["index", "migrate", "--status", "--json"], { url });
      expect(shown.code, shown.stderr).toBe(0);
      const progress = JSON.parse(shown.stdout) as MigrationStatus;
      // Still migrating, or (12 short entries go fast) already switched.
      if (progress.target !== null) {
        expect(progress).toMatchObject({ serving: hash, target: bundled, switch_at: 1 });
        expect(progress.shadow?.entries).toBeGreaterThanOrEqual(12);
      } else expect(progress.serving).toBe(bundled);

      // Writes, updates and deletes while the shadow set fills in.
      const created: string[] = [];
      for (let i = 0; i < 4; i++) {
        await create(url, `Fresh ${i} by the river`, `Written during the migration, number ${i}.`);
        created.push(`fresh-${i}-by-the-river`);
        await api(url, "PATCH", `/api/entries/log-${i + 2}-of-the-${topics[i + 2]}?kb=${KB}`, {
          body: `Rewritten while migrating (${i}).`,
        });
        await new Promise((done) => setTimeout(done, 150));
      }
      await api(url, "DELETE", `/api/entries/note-5-on-the-glacier?kb=${KB}`);

      await waitFor(async () => watcher.switches.length > 0, 240_000, "the switch");
      await waitFor(async () => reconciled(url), 120_000, "the migration to reconcile");
      await waitFor(
        async () => watcher.seen.some((o) => o.model === bundled),
        10_000,
        "a search after the switch",
      );
      const seen = await watcher.stop();

      expect(watcher.switches[0]).toMatchObject({
        type: "model_switched",
        model: bundled,
        previous: hash,
        reason: "migration",
      });
      expect(seen.length).toBeGreaterThan(5);
      let switched = false;
      for (const o of seen) {
        expect(o.status, JSON.stringify(o)).toBe(200);
        expect(o.results.length, `an empty search: ${JSON.stringify(o)}`).toBeGreaterThan(0);
        expect([hash, bundled]).toContain(o.model);
        // One model per search, and never back to the old one once the new one answered.
        if (o.model === bundled) switched = true;
        else expect(switched, "a search read the old model after the switch").toBe(false);
        // Until the switch, the serving model keeps every entry embedded before the migration
        // that nobody touched (and its searches find them all).
        if (o.serving === hash) expect(o.embedded).toBeGreaterThanOrEqual(untouched.size);
        expect(o.coverage?.embedded ?? 0).toBeGreaterThanOrEqual(untouched.size);
      }
      expect(switched).toBe(true);

      const after = await status(url);
      expect(after).toMatchObject({ entries: 15, embedded: 15, stale: 0 });
      expect(after.model).toBe(bundled);
      expect(after.migration.models.map((m) => [m.model, m.role])).toEqual([
        [bundled, "serving"],
        [hash, "kept"],
      ]);
      // hash keeps a set of every entry it embedded while it served: the 11 left of the first 12,
      // and the fresh ones written before the switch (on a loaded machine, not all of them).
      const hashSets = after.migration.models[1]?.sets ?? 0;
      expect(after.migration.models[0]?.sets).toBe(15);
      expect(hashSets).toBeGreaterThanOrEqual(11);
      expect(hashSets).toBeLessThanOrEqual(15);
      const fresh = await api<{ embedding: { model: string; stale: boolean } }>(
        url,
        "GET",
        `/api/entries/${created[0]}?kb=${KB}`,
      );
      expect(fresh.embedding).toMatchObject({ model: bundled, stale: false });

      // Back: a rollback switches at once; what changed since the switch is queued for hash again.
      await api(url, "PATCH", `/api/entries/log-3-of-the-mountain?kb=${KB}`, {
        body: "Changed again.",
      });
      await waitFor(async () => reconciled(url), 30_000, "the change embedded with bundled");
      const rolled = await runCli(["index", "rollback", "--json"], { url });
      expect(rolled.code, rolled.stderr).toBe(0);
      const back = JSON.parse(rolled.stdout) as {
        switched: {
          model: string;
          previous: string;
          coverage: { embedded: number; entries: number };
        };
        requeued: number;
      };
      expect(back.switched).toMatchObject({ model: hash, previous: bundled });
      // What changed since the switch (at least the entry just changed, and whatever hash never
      // saw) is queued for hash again; every other entry is current at once: coverage says so.
      expect(back.requeued).toBeGreaterThanOrEqual(1);
      expect(back.switched.coverage.entries).toBe(15);
      expect(back.switched.coverage.embedded + back.requeued).toBe(15);
      const search = await api<{ model: string; results: unknown[] }>(
        url,
        "GET",
        `/api/search?q=river&kb=${KB}&mode=semantic`,
      );
      expect(search.model).toBe(hash);
      expect(search.results.length).toBeGreaterThan(0);
      await waitFor(async () => reconciled(url), 60_000, "the rollback to reconcile");
      expect(await status(url)).toMatchObject({ entries: 15, embedded: 15, model: hash });

      // The bundled set is kept until dropped; dropping the serving model is refused.
      const refused = await fetch(`${url}/api/index/drop-model`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "hash" }),
      });
      expect(refused.status).toBe(409);
      const dropped = await api<{ dropped: string; sets: number }>(
        url,
        "POST",
        "/api/index/drop-model",
        {
          model: "bundled",
        },
      );
      expect(dropped).toEqual({ dropped: bundled, sets: 15 });
      const final = await status(url);
      expect(final.migration.models.map((m) => m.model)).toEqual([hash]);
      expect(final.stale).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});
