/**
 * Loads the models a migration asks the Node embedder for (`POST /models`), resolved exactly as
 * `PYRITE_MODEL` is at start-up (use-embedder.ts), from the same cache and with the same network
 * policy. A model id read back from a stored fingerprint names its provider's model too.
 */
import { HASH_INFO } from "../embedder/hash.js";
import type { Embedder } from "../embedder/types.js";
import { BUNDLED_MODEL_ID } from "./bundled-embedder.js";
import type { ModelLoader } from "./embedder-handler.js";
import { type EmbedderEnv, useEmbedder } from "./use-embedder.js";

/** The `PYRITE_MODEL` value of a spec: provider model ids map back to their provider names. */
function pyriteModelOf(spec: string): string {
  if (spec === HASH_INFO.model.id) return "hash";
  if (spec === BUNDLED_MODEL_ID) return "bundled";
  return spec;
}

/** A loader over `env` (the process's own model settings, PYRITE_MODEL aside). */
export function nodeModelLoader(env: EmbedderEnv, log: (message: string) => void): ModelLoader {
  return async (spec: string): Promise<Embedder> => {
    const resolved = await useEmbedder({ ...env, PYRITE_MODEL: pyriteModelOf(spec) }, log);
    return resolved.embedder;
  };
}
