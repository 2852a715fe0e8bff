/**
 * A server started with a model other than the one the index serves never serves stale or mixed
 * vectors: it keeps serving the old model while it can load it, or says it cannot and serves
 * keywords plus what the new model covers, labelled; either way it migrates.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { EmbedStatus, SearchResponse } from "../../../src/shared/api-types.js";
import {
  api,
  removeDir,
  startServer,
  type TestServer,
  tempDir,
  waitFor,
} from "../../support/server.js";

/** Real servers, a real model, and a machine shared with other tests: minutes, not seconds. */
const TEST_TIMEOUT_MS = 300_000;
const KB = "boot";
const status = (url: string) => api<EmbedStatus>(url, "GET", `/api/index/embed-status?kb=${KB}`);
const search = (url: string, mode: string) =>
  api<SearchResponse & { semantic_coverage: { embedded: number; entries: number } | null }>(
    url,
    "GET",
    `/api/search?q=lighthouse+keeper&kb=${KB}&mode=${mode}`,
  );
const embeddedAll = async (url: string) => {
  const s = await status(url);
  return s.pending === 0 && s.processing === 0 && s.embedded === s.entries;
};

/** Starts a server with `env`, writes `n` entries, waits for them, pauses the worker and stops. */
async function indexWith(stateDir: string, env: Record<string, string>, n: number) {
  const first = await startServer({ stateDir, env });
  for (let i = 0; i < n; i++) {
    await api(first.url, "POST", "/api/entries", {
      kb: KB,
      title: `Lighthouse keeper ${i}`,
      body: `The keeper of lighthouse ${i} logs the lamp and the fog.`,
    });
  }
  await waitFor(async () => embeddedAll(first.url), 30_000, "the first embedding");
  const model = (await status(first.url)).model;
  // Paused when stopped: the next start stays paused, so the test sees it before it migrates.
  await api(first.url, "POST", "/api/index/embed/pause");
  await first.stop();
  return model;
}

const servers: TestServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(dirs.map((d) => removeDir(d)));
});

describe("starting with another model", () => {
  it(
    "keeps serving the old model when it can load it, and migrates",
    async () => {
      const stateDir = await tempDir();
      dirs.push(stateDir);
      const hash = await indexWith(stateDir, { PYRITE_MODEL: "hash" }, 6);
      const server = await startServer({ stateDir, env: { PYRITE_MODEL: "bundled" } });
      servers.push(server);
      expect(server.stderr()).toMatch(
        /index: the index serves hash-v1\S*; migrating to use-lite-en\S*; hash-v1\S* keeps serving search until then/,
      );
      const during = await search(server.url, "semantic");
      expect(during).toMatchObject({ model: hash, degraded: null });
      expect(during.semantic_coverage).toMatchObject({ embedded: 6, entries: 6 });
      expect(during.results.length).toBeGreaterThan(0);
      const before = await status(server.url);
      expect(before.migration).toMatchObject({ serving: hash, serving_available: true });
      expect(before.migration.target).toMatch(/^use-lite-en@/);

      await api(server.url, "POST", "/api/index/embed/resume");
      await waitFor(
        async () => (await status(server.url)).migration.target === null,
        120_000,
        "the switch",
      );
      await waitFor(async () => embeddedAll(server.url), 60_000, "everything embedded");
      const after = await search(server.url, "semantic");
      expect(after.model).toMatch(/^use-lite-en@/);
      expect(after.semantic_coverage).toMatchObject({ embedded: 6, entries: 6 });
      expect(after.degraded).toBeNull();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "says so when it cannot load the old model: keywords plus the new model's share, labelled",
    async () => {
      const stateDir = await tempDir();
      dirs.push(stateDir);
      // The generated test model, by directory; then a server whose model cache is empty, so the
      // id stored with the vectors names no model it can load.
      const tiny = await indexWith(stateDir, {}, 4);
      const emptyCache = await tempDir("pyrite-cache-");
      dirs.push(emptyCache);
      const server = await startServer({
        stateDir,
        env: { PYRITE_MODEL: "hash", PYRITE_MODEL_CACHE: emptyCache },
      });
      servers.push(server);
      expect(server.stderr()).toMatch(/cannot be loaded here .*: search serves keyword results/);
      const during = await search(server.url, "hybrid");
      expect(during.model).toMatch(/^hash-v1\|/);
      expect(during.degraded?.code).toBe("serving_model_unavailable");
      expect(during.degraded?.message).toContain(String(tiny));
      expect(during.semantic_coverage).toMatchObject({ embedded: 0, entries: 4 });
      expect(during.results.length, "keyword results still come").toBe(4);
      const before = await status(server.url);
      expect(before.migration).toMatchObject({ serving: tiny, serving_available: false });

      await api(server.url, "POST", "/api/index/embed/resume");
      await waitFor(
        async () => (await status(server.url)).migration.serving !== tiny,
        60_000,
        "the switch",
      );
      await waitFor(async () => embeddedAll(server.url), 60_000, "everything embedded");
      const after = await search(server.url, "hybrid");
      expect(after.model).toMatch(/^hash-v1\|/);
      expect(after.degraded).toBeNull();
      expect(after.semantic_coverage).toMatchObject({ embedded: 4, entries: 4 });
    },
    TEST_TIMEOUT_MS,
  );
});
