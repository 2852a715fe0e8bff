/**
 * The scale bench's system: the real worker bundled as a deploy would bundle it (with the fake
 * Workers AI binding's entrypoint added, test/support/scale-worker.ts), run by Miniflare from the
 * launcher's own options (wrangler.toml's bindings, D1 and Durable Object state on disk), with
 * `AI` and `FAKE_AI` bound to the fake, and `VECTORIZE` and `FAKE_VECTORIZE` to the fake Vectorize
 * (test/support/fake-vectorize-binding.ts), so the worker's VectorStore port is Vectorize's. Stopping and starting it again on the same state is a
 * crash of every worker at once: what it held comes back when its leases expire.
 */
import { join } from "node:path";
import { bundleEntry } from "../../src/server/bundle.js";
import { PROJECT_ROOT } from "../../src/server/paths.js";
import {
  withoutNewSignalListeners,
  withoutNewSignalListenersAsync,
} from "../../src/server/signals.js";
import type { FakeAiConfig, FakeAiStats } from "../../test/support/fake-ai-types.js";
import type {
  FakeVectorizeReport,
  FakeVectorizeSnapshot,
} from "../../test/support/fake-vectorize-types.js";

/** The fake binding's controls, over RPC from Node. */
export interface FakeAiControl {
  configure(config: Partial<FakeAiConfig>): Promise<void>;
  storm(calls: number, retryAfterS: number): Promise<void>;
  stats(): Promise<FakeAiStats>;
}

/** The fake Vectorize's controls, over RPC from Node. */
export interface FakeVectorizeControl {
  configure(config: { delayMs: number }): Promise<void>;
  freeze(): Promise<void>;
  snapshot(): Promise<FakeVectorizeSnapshot>;
  restore(snapshot: FakeVectorizeSnapshot): Promise<void>;
  report(): Promise<FakeVectorizeReport>;
}

/** The slice of D1 the bench uses from Node. */
export interface BenchDb {
  prepare(query: string): {
    bind(...values: unknown[]): BenchStatement;
  } & BenchStatement;
  exec(query: string): Promise<unknown>;
}

interface BenchStatement {
  run(): Promise<unknown>;
  first<T>(): Promise<T | null>;
  all<T>(): Promise<{ results: T[] }>;
}

/** A running scale system. */
export interface ScaleSystem {
  url: string;
  fake: FakeAiControl;
  vectors: FakeVectorizeControl;
  db: BenchDb;
  stop(): Promise<void>;
}

/** Bundles the scale worker once into `dir`. */
export function bundleScaleWorker(dir: string): Promise<string> {
  return bundleEntry(join(PROJECT_ROOT, "test", "support", "scale-worker.ts"), dir);
}

/** Starts the system on `stateDir` with `vars` over wrangler.toml's, migrations applied. */
export async function launchScale(options: {
  scriptPath: string;
  stateDir: string;
  vars: Record<string, string>;
  /** The fake embedder's behaviour, from its first call (also after a restart). */
  fake: Partial<FakeAiConfig>;
  /** How long the fake Vectorize takes to apply a mutation. */
  vectorizeDelayMs: number;
}): Promise<ScaleSystem> {
  const modules = await withoutNewSignalListenersAsync(async () => ({
    ...(await import("miniflare")),
    ...(await import("../../src/server/miniflare-options.js")),
    ...(await import("../../src/server/migrations.js")),
  }));
  const { options: base } = modules.buildMiniflareOptions({
    scriptPath: options.scriptPath,
    stateDir: options.stateDir,
    host: "127.0.0.1",
    port: 0,
    env: {},
    forced: {
      EMBED_PROVIDER: "workers-ai",
      ...options.vars,
      FAKE_AI_CONFIG: JSON.stringify(options.fake),
    },
    embedder: async () => new Response("no Node embedder in the scale bench", { status: 503 }),
  });
  const fake = { name: modules.kCurrentWorker, entrypoint: "FakeAi" };
  const vectorize = { name: modules.kCurrentWorker, entrypoint: "FakeVectorizeBinding" };
  const mf = withoutNewSignalListeners(
    () =>
      new modules.Miniflare({
        ...base,
        // wrangler.toml's index is a remote binding; the fake stands in for it.
        vectorize: undefined,
        serviceBindings: {
          ...base.serviceBindings,
          AI: fake,
          FAKE_AI: fake,
          VECTORIZE: vectorize,
          FAKE_VECTORIZE: vectorize,
        },
      }),
  );
  const url = await mf.ready;
  for (const source of modules.readMigrationSources()) {
    await modules.applyMigrations(await mf.getD1Database(source.binding), source);
  }
  const bindings = await mf.getBindings<{
    FAKE_AI: FakeAiControl;
    FAKE_VECTORIZE: FakeVectorizeControl;
    DB: BenchDb;
  }>();
  await bindings.FAKE_VECTORIZE.configure({ delayMs: options.vectorizeDelayMs });
  const baseUrl = url.href.replace(/\/$/, "");
  return {
    url: baseUrl,
    fake: bindings.FAKE_AI,
    vectors: bindings.FAKE_VECTORIZE,
    db: bindings.DB,
    stop: () => mf.dispose(),
  };
}
