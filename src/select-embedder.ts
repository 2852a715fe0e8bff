/**
 * Picks the worker's embedder from its bindings: the Node embedder behind `EMBEDDER` (local),
 * Workers AI behind `AI` (deployed), or the lexical `hash` fallback; and loads other models
 * through the same provider when the index needs them (a migration's target, a serving model the
 * deployment did not start with).
 */
import type { Settings } from "./config";
import { createHashEmbedder, HASH_INFO } from "./embedder/hash";
import { createRemoteEmbedder, type Fetcher } from "./embedder/remote";
import type { Embedder } from "./embedder/types";
import { createWorkersAiEmbedder } from "./embedder/workers-ai";
import { ApiError } from "./errors";

/** The embedders one deployment can use. */
export interface ModelSource {
  /** The embedder it started with (`EMBEDDER`'s own model, `WORKERS_AI_MODEL`, or `hash`). */
  primary: Embedder;
  /**
   * An embedder for the model `spec` names: what `PYRITE_MODEL` takes (a hub id, a directory,
   * `bundled`, `hash`), a Workers AI model, or a model id read from a fingerprint. Rejects with
   * `422 model_unavailable` when this deployment cannot load it.
   */
  load(spec: string): Promise<Embedder>;
}

/** How long a model that failed to load is not asked for again (a search would retry each time). */
const FAILED_LOAD_MS = 30_000;

const cache = new WeakMap<object, ModelSource>();

/** The embedder for this env (cached per env object so `info()` is fetched once). */
export function selectEmbedder(env: Env, settings: Settings): Embedder {
  return selectModels(env, settings).primary;
}

/** The model source for this env (cached per env object, loaded models with it). */
export function selectModels(env: Env, settings: Settings): ModelSource {
  const cached = cache.get(env);
  if (cached) return cached;
  const source = build(env, settings);
  cache.set(env, source);
  return source;
}

const isHash = (spec: string) => spec === "hash" || spec === HASH_INFO.model.id;

function unavailable(spec: string, why: string): ApiError {
  return new ApiError(422, "model_unavailable", `cannot load model ${spec}: ${why}`);
}

/**
 * Loads by spec through `open`, verifying the model answers; loads are shared, and a failure is
 * remembered for a short while.
 */
function loader(open: (spec: string) => Embedder): (spec: string) => Promise<Embedder> {
  const loads = new Map<string, Promise<Embedder>>();
  return (spec) => {
    const known = loads.get(spec);
    if (known) return known;
    const embedder = (async () => {
      try {
        const opened = open(spec);
        await opened.info();
        return opened;
      } catch (err) {
        if (err instanceof ApiError) throw err;
        throw unavailable(spec, err instanceof Error ? err.message : String(err));
      }
    })();
    loads.set(spec, embedder);
    embedder.catch(() => {
      // Dropped after a while, so a model that becomes available (a download) is tried again.
      setTimeout(() => {
        if (loads.get(spec) === embedder) loads.delete(spec);
      }, FAILED_LOAD_MS);
    });
    return embedder;
  };
}

function remoteSource(fetcher: Fetcher, url: string | undefined, settings: Settings): ModelSource {
  return {
    primary: createRemoteEmbedder(fetcher, url, settings.embedderTimeoutMs),
    load: loader((spec) => createRemoteEmbedder(fetcher, url, settings.embedderTimeoutMs, spec)),
  };
}

function build(env: Env, settings: Settings): ModelSource {
  const wanted = settings.provider;
  if ((wanted === "auto" || wanted === "service") && env.EMBEDDER) {
    return remoteSource(env.EMBEDDER, undefined, settings);
  }
  if ((wanted === "auto" || wanted === "service") && settings.embedderUrl) {
    return remoteSource(
      { fetch: (input, init) => fetch(input, init) },
      settings.embedderUrl,
      settings,
    );
  }
  const hash = createHashEmbedder();
  if ((wanted === "auto" || wanted === "workers-ai") && env.AI) {
    const ai = env.AI;
    return {
      primary: createWorkersAiEmbedder(ai, settings.workersAiModel),
      load: loader((spec) => (isHash(spec) ? hash : createWorkersAiEmbedder(ai, spec))),
    };
  }
  if (wanted !== "auto" && wanted !== "hash") {
    throw new Error(`EMBED_PROVIDER=${wanted} but its binding is not configured`);
  }
  return {
    primary: hash,
    load: loader((spec) => {
      if (isHash(spec)) return hash;
      throw unavailable(spec, "this deployment has no embedder but `hash`");
    }),
  };
}
