/**
 * The model routes' refusals: bad input and impossible requests get a clear 4xx and change
 * nothing (the migrations themselves run on the real server: test/node/migration).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { MigrationStatus } from "../../src/shared/api-types";
import { appCreate, appFetch, appSend } from "./app-fetch";
import { expectClientError, snapshot } from "./bad-input/expect-error";

const migration = async () =>
  (await (await appFetch("/api/index/migrate")).json()) as MigrationStatus;

/** Sends `body` to `path`, expecting `status` with `code`, and that nothing changed. */
async function refused(path: string, body: unknown, status: number, code: string) {
  const before = await snapshot();
  const models = await env.DB.prepare("SELECT * FROM index_models").all();
  const res = await appSend("POST", path, body);
  expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(status);
  const text = await res.clone().text();
  await expectClientError(res, path);
  expect(JSON.parse(text).error.code).toBe(code);
  expect(await snapshot()).toBe(before);
  expect((await env.DB.prepare("SELECT * FROM index_models").all()).results).toEqual(
    models.results,
  );
}

describe("/api/index model routes", () => {
  it("say which model serves, and refuse what cannot be done", async () => {
    await appCreate({ kb: "models", title: "One entry", body: "some words" });
    const status = await migration();
    expect(status).toMatchObject({
      serving: "hash-v1|384|none|norm",
      serving_available: true,
      target: null,
      shadow: null,
    });

    for (const body of [
      {},
      { model: "" },
      { model: "hash-v1", switch_at: 0 },
      { model: "hash-v1", switch_at: 1.5 },
      { model: "hash-v1", surprise: true },
      { model: "hash-v1", kb: "Not A KB" },
    ]) {
      await refused("/api/index/migrate", body, 400, "invalid_request");
    }
    await refused("/api/index/migrate", "{not json", 400, "malformed_json");
    // The embedder here holds one model and loads no other.
    await refused("/api/index/migrate", { model: "no/such-model" }, 422, "model_unavailable");
    await refused("/api/index/migrate", { model: "hash-v1" }, 409, "already_serving");
    await refused("/api/index/rollback", {}, 409, "nothing_to_roll_back");
    await refused("/api/index/drop-model", { model: "nothing-kept" }, 404, "not_found");
    await refused("/api/index/drop-model", { model: "hash-v1" }, 404, "not_found");
    // Without a background worker there is nothing to run a migration.
    const sync = { ...env, EMBED_MODE: "sync" };
    const res = await appSend("POST", "/api/index/migrate", { model: "other" }, sync);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("no_worker");
    expect((await migration()).target).toBeNull();
  });

  it("a dry run measures the target without changing anything", async () => {
    const before = await snapshot();
    const res = await appSend("POST", "/api/index/migrate", { model: "hash-v1", dry_run: true });
    expect(res.status).toBe(200);
    const { estimate } = (await res.json()) as {
      estimate: { model: string; entries: number; passages: number; tokens: number };
    };
    // The one entry is not embedded yet (the worker has not run): it is what a migration embeds.
    expect(estimate).toMatchObject({
      model: "hash-v1|384|none|norm",
      entries: 1,
      passages: 1,
      sample: { entries: 1, passages: 1 },
    });
    expect(estimate.tokens).toBeGreaterThan(2);
    expect(await snapshot()).toBe(before);
  });
});
