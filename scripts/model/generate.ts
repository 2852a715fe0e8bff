/**
 * Generates a test sentence-embedding model in the Hugging Face Hub's directory layout, once:
 * a `.stamp` file records what was generated, and a matching stamp makes generation a no-op.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBertModel } from "./bert-graph.js";
import { buildModelConfig, buildSentenceBertConfig } from "./hf-config.js";
import type { ModelSize } from "./spec.js";
import { GENERATOR_VERSION, MODEL_SEED, SENTENCE_MAX_TOKENS, SPECS } from "./spec.js";
import {
  buildSpecialTokensMap,
  buildTokenizerConfig,
  buildTokenizerJson,
  loadBertUncasedVocab,
} from "./tokenizer.js";
import { generateWeights } from "./weights.js";

/** The project root (two levels above scripts/model/). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Files every generated model directory holds (the stamp is written last). */
export const MODEL_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "sentence_bert_config.json",
  "onnx/model.onnx",
  "onnx/model_quantized.onnx",
] as const;

const STAMP_FILE = ".stamp";
const TOKENIZER_MAX_LENGTH = 512;

/** Where a size's model goes unless told otherwise. */
export function defaultModelDir(size: ModelSize): string {
  return join(PROJECT_ROOT, ".cache", "models", `pyrite-test-${size}`);
}

/** What identifies a generated model: change any of it and the cache is stale. */
export function modelStamp(size: ModelSize): string {
  const identity = JSON.stringify({
    generator: GENERATOR_VERSION,
    seed: MODEL_SEED,
    size,
    spec: SPECS[size],
  });
  return createHash("sha256").update(identity).digest("hex");
}

async function isCurrent(dir: string, stamp: string): Promise<boolean> {
  try {
    const written = (await readFile(join(dir, STAMP_FILE), "utf8")).trim();
    return written === stamp && MODEL_FILES.every((file) => existsSync(join(dir, file)));
  } catch {
    return false;
  }
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

async function writeModel(dir: string, size: ModelSize, stamp: string): Promise<void> {
  const spec = SPECS[size];
  const vocab = await loadBertUncasedVocab();
  if (vocab.length !== spec.vocabSize)
    throw new Error(`vocab has ${vocab.length} tokens, spec wants ${spec.vocabSize}`);
  await mkdir(join(dir, "onnx"), { recursive: true });
  await writeFile(join(dir, "config.json"), json(buildModelConfig(`pyrite-test-${size}`, spec)));
  await writeFile(
    join(dir, "tokenizer.json"),
    json(buildTokenizerJson(vocab, TOKENIZER_MAX_LENGTH)),
  );
  await writeFile(
    join(dir, "tokenizer_config.json"),
    json(buildTokenizerConfig(TOKENIZER_MAX_LENGTH)),
  );
  await writeFile(join(dir, "special_tokens_map.json"), json(buildSpecialTokensMap()));
  await writeFile(
    join(dir, "sentence_bert_config.json"),
    json(buildSentenceBertConfig(SENTENCE_MAX_TOKENS)),
  );
  const weights = generateWeights(spec);
  await writeFile(join(dir, "onnx", "model.onnx"), buildBertModel(spec, weights, "fp32"));
  await writeFile(join(dir, "onnx", "model_quantized.onnx"), buildBertModel(spec, weights, "q8"));
  await writeFile(join(dir, STAMP_FILE), `${stamp}\n`);
}

/** Result of {@link generateTestModel}. */
export interface GeneratedModel {
  dir: string;
  /** False when a current model was already there. */
  generated: boolean;
}

/**
 * Writes the model of `size` to `outDir` unless a current one is there. Safe to call from
 * concurrent processes: each builds in its own temporary directory and renames it into place.
 */
export async function generateTestModel(options: {
  size: ModelSize;
  outDir?: string;
}): Promise<GeneratedModel> {
  const dir = resolve(options.outDir ?? defaultModelDir(options.size));
  const stamp = modelStamp(options.size);
  if (await isCurrent(dir, stamp)) return { dir, generated: false };

  const temp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeModel(temp, options.size, stamp);
    // Another process may have finished first: its model is as good as ours.
    if (await isCurrent(dir, stamp)) return { dir, generated: false };
    await rm(dir, { recursive: true, force: true });
    try {
      await rename(temp, dir);
    } catch (error) {
      if (await isCurrent(dir, stamp)) return { dir, generated: false };
      throw error;
    }
    return { dir, generated: true };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
