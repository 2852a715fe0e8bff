import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BundledEmbedder, createBundledEmbedder } from "../../../src/node/bundled-embedder.js";
import { resolveEmbedder } from "../../../src/node/resolve-model.js";
import { tinyModelDir } from "./model.js";

const offline = async (): Promise<Response> => {
  throw new TypeError("fetch failed: getaddrinfo ENOTFOUND huggingface.co");
};

/** The real bundled model, loaded once for every test that reaches it. */
let bundled: Promise<BundledEmbedder> | undefined;
const loadBundled = () => {
  bundled ??= createBundledEmbedder();
  return bundled;
};

const broken = async (): Promise<never> => {
  throw new Error("wasm backend unavailable");
};

describe("resolveEmbedder", () => {
  let dir = "";
  let emptyCache = "";
  const logs: string[] = [];
  const log = (message: string) => logs.push(message);

  beforeAll(async () => {
    dir = await tinyModelDir();
    emptyCache = await mkdtemp(join(tmpdir(), "pyrite-cache-"));
  });
  afterAll(async () => {
    await rm(emptyCache, { recursive: true, force: true });
  });

  it("loads an explicit model directory with transformers", async () => {
    const resolved = await resolveEmbedder({
      PYRITE_MODEL: dir,
      cacheDir: emptyCache,
      allowDownload: false,
      log,
    });
    expect(resolved.source).toBe("explicit");
    expect(resolved.info.provider).toBe("transformers");
    expect(resolved.info.model.dims).toBe(32);
    expect(resolved.warning).toBeUndefined();
  });

  it("fails clearly when an explicit directory does not exist", async () => {
    await expect(
      resolveEmbedder({
        PYRITE_MODEL: "./models/nope",
        cacheDir: emptyCache,
        allowDownload: false,
        log,
      }),
    ).rejects.toThrow("model directory not found: ./models/nope");
  });

  it("fails clearly for an explicit hub id that is neither cached nor downloadable", async () => {
    await expect(
      resolveEmbedder({
        PYRITE_MODEL: "someone/model",
        cacheDir: emptyCache,
        allowDownload: true,
        log,
        fetch: offline,
      }),
    ).rejects.toThrow(
      /not in the cache.*cannot be downloaded: the Hub is unreachable \(fetch failed/,
    );
  });

  it("uses the default model from the cache", async () => {
    const cache = await mkdtemp(join(tmpdir(), "pyrite-cache-"));
    try {
      await cp(dir, join(cache, "pyrite", "test-tiny"), { recursive: true });
      const resolved = await resolveEmbedder({
        cacheDir: cache,
        allowDownload: false,
        log,
        defaultModel: "pyrite/test-tiny",
      });
      expect(resolved.source).toBe("cache");
      expect(resolved.info.model.id).toBe("pyrite/test-tiny");
      expect((await resolved.embedder.embed(["cached"])).vectors[0]).toHaveLength(32);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it("serves the bundled model with no model, no cache and no network", async () => {
    logs.length = 0;
    const resolved = await resolveEmbedder({
      cacheDir: emptyCache,
      allowDownload: true,
      log,
      fetch: offline,
      loadBundled,
    });
    expect(resolved.source).toBe("bundled");
    expect(resolved.info).toMatchObject({ provider: "bundled", semantic: true });
    expect(resolved.warning).toBeUndefined();
    const logged = logs.join("\n");
    expect(logged).toMatch(/Hub is unreachable/);
    expect(logged).toMatch(/serving the bundled model/);
    expect(logged).toMatch(/semantic: true/);
  });

  it("does the same offline (PYRITE_OFFLINE=1) without probing the Hub", async () => {
    let probes = 0;
    const resolved = await resolveEmbedder({
      cacheDir: emptyCache,
      allowDownload: false,
      log: () => {},
      fetch: async () => {
        probes++;
        return new Response(null, { status: 200 });
      },
      loadBundled,
    });
    expect(resolved.source).toBe("bundled");
    expect(probes).toBe(0);
  });

  it("serves the bundled model or hash when PYRITE_MODEL names them", async () => {
    const chosen = await resolveEmbedder({
      PYRITE_MODEL: "bundled",
      cacheDir: emptyCache,
      allowDownload: true,
      log: () => {},
      fetch: offline,
      loadBundled,
    });
    expect(chosen).toMatchObject({ source: "explicit", info: { provider: "bundled" } });
    const lexical = await resolveEmbedder({
      PYRITE_MODEL: "hash",
      cacheDir: emptyCache,
      allowDownload: true,
      log: () => {},
      fetch: offline,
      loadBundled: broken,
    });
    expect(lexical).toMatchObject({
      source: "explicit",
      info: { provider: "hash", semantic: false },
    });
    expect(lexical.warning).toMatch(/lexical/);
  });

  it("fails to start when PYRITE_MODEL=bundled cannot load", async () => {
    await expect(
      resolveEmbedder({
        PYRITE_MODEL: "bundled",
        cacheDir: emptyCache,
        allowDownload: false,
        log: () => {},
        loadBundled: broken,
      }),
    ).rejects.toThrow("wasm backend unavailable");
  });

  it("falls back to the hash provider, loudly, only when even the bundled model fails", async () => {
    logs.length = 0;
    const started = performance.now();
    const resolved = await resolveEmbedder({
      cacheDir: emptyCache,
      allowDownload: true,
      log,
      fetch: offline,
      loadBundled: broken,
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(resolved.source).toBe("fallback");
    expect(resolved.info).toMatchObject({ provider: "hash", semantic: false });
    expect(resolved.warning).toMatch(/NO EMBEDDING MODEL/);
    const logged = logs.join("\n");
    expect(logged).toMatch(/falling back to lexical hash embeddings/);
    expect(logged).toMatch(/Semantic search is now LEXICAL/);
    expect(logged).toMatch(/PYRITE_MODEL/);
    expect(logged).toMatch(/Hub is unreachable/);
    expect(logged).toMatch(/bundled model failed to load: wasm backend unavailable/);
    expect(logged.split("\n").length).toBeGreaterThan(3);
  });

  it("gives up on a silent Hub after the probe timeout", async () => {
    logs.length = 0;
    const hang = (_: string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    const resolved = await resolveEmbedder({
      cacheDir: emptyCache,
      allowDownload: true,
      log,
      fetch: hang,
      probeTimeoutMs: 50,
      loadBundled,
    });
    expect(resolved.source).toBe("bundled");
    expect(logs.join("\n")).toMatch(/did not answer within 0.05 s/);
  });
});
