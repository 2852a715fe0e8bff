/**
 * Picks the worker's embedder from its bindings: the Node embedder behind `EMBEDDER` (local),
 * Workers AI behind `AI` (deployed), or the lexical `hash` fallback.
 */
import type { Settings } from "./config";
import { createHashEmbedder } from "./embedder/hash";
import { createRemoteEmbedder } from "./embedder/remote";
import type { Embedder } from "./embedder/types";
import { createWorkersAiEmbedder } from "./embedder/workers-ai";

const cache = new WeakMap<object, Embedder>();

/** The embedder for this env (cached per env object so `info()` is fetched once). */
export function selectEmbedder(env: Env, settings: Settings): Embedder {
  const cached = cache.get(env);
  if (cached) return cached;
  const embedder = build(env, settings);
  cache.set(env, embedder);
  return embedder;
}

function build(env: Env, settings: Settings): Embedder {
  const wanted = settings.provider;
  if ((wanted === "auto" || wanted === "service") && env.EMBEDDER) {
    return createRemoteEmbedder(env.EMBEDDER, undefined, settings.embedderTimeoutMs);
  }
  if ((wanted === "auto" || wanted === "service") && settings.embedderUrl) {
    return createRemoteEmbedder(
      { fetch: (input, init) => fetch(input, init) },
      settings.embedderUrl,
      settings.embedderTimeoutMs,
    );
  }
  if ((wanted === "auto" || wanted === "workers-ai") && env.AI) {
    return createWorkersAiEmbedder(env.AI, settings.workersAiModel);
  }
  if (wanted !== "auto" && wanted !== "hash") {
    throw new Error(`EMBED_PROVIDER=${wanted} but its binding is not configured`);
  }
  return createHashEmbedder();
}
