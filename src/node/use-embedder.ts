/**
 * The one place the Node embedder's model is chosen from the environment, for every process that
 * serves one (`npm start`'s launcher, `npm run dev`, the standalone embedder server), so they all
 * resolve the same model the same way:
 *
 * - `PYRITE_MODEL`: a model directory, a hub id, `bundled` or `hash` (unset: the default chain)
 * - `PYRITE_MODEL_CACHE`: the hub cache (default `.cache/models` in the project)
 * - `PYRITE_OFFLINE=1`: never probe or download from the Hub
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ResolvedEmbedder, resolveEmbedder } from "./resolve-model.js";

/** Where hub models are cached unless PYRITE_MODEL_CACHE says otherwise: `<project>/.cache/models`. */
const DEFAULT_MODEL_CACHE = join(
  resolve(dirname(fileURLToPath(import.meta.url)), "..", ".."),
  ".cache",
  "models",
);

/** The environment variables the embedder reads. */
export type EmbedderEnv = Partial<
  Record<"PYRITE_MODEL" | "PYRITE_MODEL_CACHE" | "PYRITE_OFFLINE", string>
>;

/** Resolves the embedder `env` asks for (see resolve-model.ts for the order); logs to `log`. */
export function useEmbedder(
  env: EmbedderEnv,
  log: (message: string) => void,
): Promise<ResolvedEmbedder> {
  return resolveEmbedder({
    PYRITE_MODEL: env.PYRITE_MODEL,
    cacheDir: env.PYRITE_MODEL_CACHE || DEFAULT_MODEL_CACHE,
    allowDownload: env.PYRITE_OFFLINE !== "1",
    log,
  });
}
