/**
 * The deployed path of a migration: two Workers AI models (on a fake AI binding), the serving
 * set kept whole while the target's shadow set fills in, then the atomic switch and a rollback.
 * Driven through the same engine the EmbedWorker runs, one cycle at a time.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readSettings } from "../../src/config";
import { roundContext } from "../../src/embedding/embed-round";
import { runShadowCycle, switchIfReady } from "../../src/embedding/migration";
import { embedderFor } from "../../src/embedding/serving";
import { selectModels } from "../../src/select-embedder";
import type { SearchResponse } from "../../src/shared/api-types";
import { openDb } from "../../src/storage/db";
import {
  ensureServing,
  readIndexModels,
  rollbackTo,
  startMigration,
} from "../../src/storage/index-models";
import { IsolateStore } from "../../src/vectors/isolate-store";
import { FakeAiSimulator } from "../support/fake-ai";
import { appCreate, appFetch, type TestEnv } from "./app-fetch";

const SMALL = "@cf/baai/bge-small-en-v1.5|384|cls|norm";
const BASE = "@cf/baai/bge-base-en-v1.5|768|cls|norm";

describe("a Workers AI migration (fake AI binding)", () => {
  it("bge-small → bge-base: search serves small whole until the switch, then base; rollback", async () => {
    // The simulated binding, with no latency, counting the texts each model was asked to embed.
    const simulator = new FakeAiSimulator();
    simulator.configure({ latencyMs: 0 });
    const calls = new Map<string, number>();
    const ai = {
      run(model: string, input: { text: string | string[]; pooling?: string }) {
        const texts = typeof input.text === "string" ? 1 : input.text.length;
        calls.set(model, (calls.get(model) ?? 0) + texts);
        return simulator.run(model, input);
      },
    };
    // Deployed-style: no Node embedder, the AI binding; writes embed in the request (no worker).
    const deployed: TestEnv = {
      ...env,
      EMBEDDER: undefined,
      AI: ai as unknown as Ai,
      EMBED_PROVIDER: "workers-ai",
      EMBED_MODE: "sync",
    };
    const search = async () =>
      (
        await appFetch("/api/search?q=tide+tables&kb=ai&mode=semantic", {}, deployed)
      ).json<SearchResponse>();
    for (const title of ["Tide tables", "Harbour tides", "Moon and tide"]) {
      await appCreate({ kb: "ai", title, body: `Notes on ${title.toLowerCase()}.` }, deployed);
    }
    const db = openDb(env.DB);
    const settings = readSettings(deployed);
    const models = selectModels(deployed as Env, settings);
    const now = Date.now();
    await ensureServing(db, SMALL, now);
    expect(await startMigration(db, { model: BASE, switchAt: 1, now })).toBe(3);
    // A write during the migration: embedded with small now, and queued for base too.
    await appCreate({ kb: "ai", title: "Tide clock", body: "A clock for the tides." }, deployed);

    const during = await search();
    expect(during.model).toBe(SMALL);
    expect(during.semantic_coverage).toMatchObject({ embedded: 4, entries: 4 });
    expect(during.results.length).toBeGreaterThan(0);

    const target = await embedderFor(models, BASE);
    const base = roundContext(db, new IsolateStore(db), models.primary, settings);
    let claimed = 0;
    for (;;) {
      const cycle = await runShadowCycle(base, BASE, target, settings.leaseMs, 2);
      claimed += cycle.claimed;
      if (cycle.claimed === 0) break;
      // Not yet: the switch waits for the whole index.
      if (claimed < 4) expect((await search()).model).toBe(SMALL);
    }
    expect(claimed).toBe(4);
    expect(calls.get("@cf/baai/bge-base-en-v1.5")).toBe(4);

    const switched = await switchIfReady(db, await readIndexModels(db), Date.now());
    expect(switched).toMatchObject({
      type: "model_switched",
      model: BASE,
      previous: SMALL,
      coverage: { embedded: 4, entries: 4 },
    });
    const after = await search();
    expect(after.model).toBe(BASE);
    expect(after.semantic_coverage).toMatchObject({ embedded: 4, entries: 4 });

    const back = await rollbackTo(db, SMALL, Date.now() + 1);
    expect(back).toEqual({ switched: true, requeued: 0 });
    expect((await search()).model).toBe(SMALL);
  });
});
