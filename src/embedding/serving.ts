/**
 * Which model serves: the one `index_models` records as serving, or, on an index that records
 * none yet, the model the deployment started with. Everything that embeds for the serving set
 * (the worker's main queue, synchronous writes, the status) and search resolve it here, once per
 * use, and stick to it: a switch in the middle of a use never mixes two models' vectors.
 */
import { type Embedder, type EmbedderInfo, fingerprintKey } from "../embedder/types";
import { ApiError } from "../errors";
import type { ModelSource } from "../select-embedder";
import type { Db } from "../storage/db";
import { type IndexModels, readIndexModels } from "../storage/index-models";

/** The model id inside a fingerprint key (`id|dims|pooling|norm`). */
export function modelIdOf(key: string): string {
  const parts = key.split("|");
  return parts.length > 3 ? parts.slice(0, -3).join("|") : key;
}

/** The embedder of the model whose fingerprint key is `key`; rejects when it cannot be had. */
export async function embedderFor(source: ModelSource, key: string): Promise<Embedder> {
  const primary = await source.primary.info().catch(() => null);
  if (primary && fingerprintKey(primary.model) === key) return source.primary;
  const embedder = await source.load(modelIdOf(key));
  const loaded = fingerprintKey((await embedder.info()).model);
  if (loaded !== key) {
    throw new ApiError(
      422,
      "model_unavailable",
      `model ${modelIdOf(key)} loads here as ${loaded}, not as the stored ${key}`,
    );
  }
  return embedder;
}

/** The serving model, and its embedder if it can be had here. */
export interface ServingChoice {
  models: IndexModels;
  /** Its fingerprint key. */
  model: string;
  embedder: Embedder | null;
  /** Why `embedder` is null. */
  error: string | null;
}

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Resolves the serving model (see the file's comment). */
export async function resolveServing(db: Db, source: ModelSource): Promise<ServingChoice> {
  const models = await readIndexModels(db);
  if (!models.serving) {
    const info = await source.primary.info();
    return { models, model: fingerprintKey(info.model), embedder: source.primary, error: null };
  }
  const model = models.serving.model;
  try {
    return { models, model, embedder: await embedderFor(source, model), error: null };
  } catch (err) {
    return { models, model, embedder: null, error: reason(err) };
  }
}

/**
 * An Embedder for the serving model, resolved on first use and then fixed for this object's life:
 * create one per use (a search, a cycle, a write). Fails (every call) when the serving model
 * cannot be had here.
 */
export function servingEmbedder(db: Db, source: ModelSource): Embedder {
  let pinned: Promise<Embedder> | undefined;
  const resolve = () => {
    pinned ??= resolveServing(db, source).then((choice) => {
      if (choice.embedder) return choice.embedder;
      throw new ApiError(
        503,
        "embedder_unavailable",
        `the serving model ${choice.model} cannot be loaded here: ${choice.error}`,
      );
    });
    return pinned;
  };
  return {
    info: async (): Promise<EmbedderInfo> => (await resolve()).info(),
    embed: async (texts) => (await resolve()).embed(texts),
  };
}

/** The model a search reads, and why it is not the serving one when it is not. */
export interface SearchModelChoice {
  embedder: Embedder;
  /** Set when the serving model cannot be loaded and a migration's target stands in for it. */
  standIn: { serving: string; reason: string } | null;
}

/**
 * The serving model for a search; if that cannot be loaded here (a server started with another
 * model, without the serving one), the migration target, which covers part of the index, with
 * the reason. Throws `503 embedder_unavailable` when neither can be had.
 */
export async function searchModel(db: Db, source: ModelSource): Promise<SearchModelChoice> {
  const choice = await resolveServing(db, source);
  if (choice.embedder) return { embedder: choice.embedder, standIn: null };
  const target = choice.models.target;
  if (target) {
    try {
      const embedder = await embedderFor(source, target.model);
      return {
        embedder,
        standIn: { serving: choice.model, reason: choice.error ?? "it cannot be loaded" },
      };
    } catch {
      // Neither model: said below.
    }
  }
  throw new ApiError(
    503,
    "embedder_unavailable",
    `the serving model ${choice.model} cannot be loaded here: ${choice.error}`,
  );
}
