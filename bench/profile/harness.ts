/**
 * A profiling launch of the local system: the same bundle, Miniflare options, migrations and
 * embedder protocol handler as src/server/launch.ts, but in the bench process and with an embedder
 * the bench controls, so each embedder call's arrival and duration can be timed from Node (inside
 * workerd the clock does not move during computation) and the embedder can be swapped for one
 * that costs no CPU. Used by the profile scripts, never for the reported figures.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Embedder } from "../../src/embedder/types.js";
import { createEmbedderHandler } from "../../src/node/embedder-handler.js";
import { bundleWorker } from "../../src/server/bundle.js";
import {
  withoutNewSignalListeners,
  withoutNewSignalListenersAsync,
} from "../../src/server/signals.js";

/** One embedder call as seen from Node. */
export interface EmbedCall {
  texts: number;
  /** performance.now() when the call arrived, started embedding, and finished. */
  arrived: number;
  started: number;
  finished: number;
}

/** Wraps an embedder to record its calls. */
export function timedEmbedder(inner: Embedder, calls: EmbedCall[]): Embedder {
  return {
    info: () => inner.info(),
    async embed(texts) {
      const started = performance.now();
      const result = await inner.embed(texts);
      calls.push({ texts: texts.length, arrived: started, started, finished: performance.now() });
      return result;
    },
  };
}

/**
 * An embedder with `inner`'s identity that answers after `delayMs` with vectors computed once
 * per distinct text count (no CPU per call): isolates the pipeline's own costs.
 */
export function idleEmbedder(inner: Embedder, delayMs: number): Embedder {
  const cache = new Map<number, Float32Array>();
  return {
    info: () => inner.info(),
    async embed(texts) {
      let vector = cache.get(0);
      if (!vector) {
        const batch = await inner.embed(["a cached vector"]);
        vector = batch.vectors[0] ?? new Float32Array(0);
        cache.set(0, vector);
      }
      await new Promise((done) => setTimeout(done, delayMs));
      return { vectors: texts.map(() => vector ?? new Float32Array(0)), truncated: [] };
    },
  };
}

/** A running profiled system. */
export interface Profiled {
  url: string;
  stop(): Promise<void>;
}

/** Launches workerd through Miniflare with `embedder` behind `EMBEDDER`. */
export async function launchProfiled(options: {
  vars: Record<string, string>;
  embedder: Embedder;
  stateDir?: string;
}): Promise<Profiled> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), "pyrite-profile-")));
  const scriptPath = await bundleWorker();
  const modules = await withoutNewSignalListenersAsync(async () => ({
    ...(await import("miniflare")),
    ...(await import("../../src/server/miniflare-options.js")),
    ...(await import("../../src/server/migrations.js")),
  }));
  const { options: mfOptions } = modules.buildMiniflareOptions({
    scriptPath,
    stateDir,
    host: "127.0.0.1",
    port: 0,
    env: { ...options.vars },
    forced: {},
    embedder: createEmbedderHandler(options.embedder),
  });
  const mf = withoutNewSignalListeners(() => new modules.Miniflare(mfOptions));
  const url = await mf.ready;
  for (const source of modules.readMigrationSources()) {
    await modules.applyMigrations(await mf.getD1Database(source.binding), source);
  }
  return {
    url: url.href.replace(/\/$/, ""),
    stop: () => mf.dispose(),
  };
}
