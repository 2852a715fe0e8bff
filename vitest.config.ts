import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { kCurrentWorker } from "miniflare";
import { defineConfig } from "vitest/config";
import { generateTestModel } from "./scripts/model/generate.js";
import { createTestEmbedderService } from "./test/support/test-embedder.js";

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(async () => {
            const model = await generateTestModel({ size: "tiny" });
            return {
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  EMBED_MODE: "background",
                  EMBED_BATCH_SIZE: "10",
                  EMBED_MAX_ATTEMPTS: "3",
                  // Long enough that a backoff never elapses on real time during a test: tests make rows due.
                  EMBED_RETRY_BASE_MS: "60000",
                  EMBED_LEASE_MS: "60000",
                  // Alarms also fire on real time: keep kicked alarms far away so tests drive
                  // the loop with runDurableObjectAlarm.
                  EMBED_KICK_DELAY_MS: "3600000",
                  EMBED_PROVIDER: "auto",
                  CORS_ORIGINS: "",
                  TEST_MIGRATIONS: await readD1Migrations("./migrations"),
                },
                serviceBindings: { EMBEDDER: createTestEmbedderService(model.dir) },
              },
            };
          }),
        ],
        test: {
          name: "workers",
          include: ["test/worker/**/*.test.ts"],
          setupFiles: ["./test/worker/setup.ts"],
          // The Node-side test embedder's fault switches are shared: one file at a time.
          fileParallelism: false,
        },
      },
      {
        // Remote embedding at scale: the real worker with the fake Workers AI binding
        // (test/support/fake-ai.ts) as `AI`, three EmbedWorker shards, four rounds in flight each.
        plugins: [
          cloudflareTest(async () => ({
            main: "./test/support/scale-worker.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                EMBED_MODE: "background",
                EMBED_PROVIDER: "workers-ai",
                EMBED_BATCH_SIZE: "5",
                EMBED_CONCURRENCY: "4",
                EMBED_SHARDS: "3",
                // 4,000 estimated tokens a minute per shard: ≈667 at once, then ≈67 a second.
                EMBED_TOKENS_PER_MINUTE: "12000",
                EMBED_MAX_ATTEMPTS: "3",
                EMBED_RETRY_BASE_MS: "60000",
                EMBED_LEASE_MS: "60000",
                EMBED_KICK_DELAY_MS: "3600000",
                CORS_ORIGINS: "",
                TEST_MIGRATIONS: await readD1Migrations("./migrations"),
              },
              serviceBindings: {
                AI: { name: kCurrentWorker, entrypoint: "FakeAi" },
                FAKE_AI: { name: kCurrentWorker, entrypoint: "FakeAi" },
                // Declared in wrangler.toml; unused here (EMBED_PROVIDER=workers-ai).
                EMBEDDER: () => new Response("no Node embedder in this project", { status: 503 }),
              },
            },
          })),
        ],
        test: {
          name: "scale",
          include: ["test/scale/**/*.test.ts"],
          setupFiles: ["./test/worker/setup.ts"],
          // The fake binding's state is per isolate: one file at a time.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
