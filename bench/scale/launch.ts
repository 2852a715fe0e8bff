/**
 * The scale bench's system: the real worker bundled as a deploy would bundle it (with the fake
 * Workers AI binding's entrypoint added, test/support/scale-worker.ts), run by Miniflare from the
 * launcher's own options (wrangler.toml's bindings, D1 and Durable Object state on disk), with
 * `AI` and `FAKE_AI` bound to the fake. Stopping and starting it again on the same state is a
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

/** The fake binding's controls, over RPC from Node. */
export interface FakeAiControl {
  configure(config: Partial<FakeAiConfig>): Promise<void>;
  storm(calls: number, retryAfterS: number): Promise<void>;
  stats(): Promise<FakeAiStats>;
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
  const mf = withoutNewSignalListeners(
    () =>
      new modules.Miniflare({
        ...base,
        serviceBindings: { ...base.serviceBindings, AI: fake, FAKE_AI: fake },
      }),
  );
  const url = await mf.ready;
  for (const source of modules.readMigrationSources()) {
    await modules.applyMigrations(await mf.getD1Database(source.binding), source);
  }
  const bindings = await mf.getBindings<{ FAKE_AI: FakeAiControl; DB: BenchDb }>();
  const baseUrl = url.href.replace(/\/$/, "");
  return {
    url: baseUrl,
    fake: bindings.FAKE_AI,
    db: bindings.DB,
    stop: () => mf.dispose(),
  };
}
