/**
 * The `transformers` provider: transformers.js on onnxruntime-node (native, Node only). Loads a
 * Hub-layout model (hub id or local directory), truncates by tokens at the model's window and
 * reports which texts were cut, mean-pools over the attention mask and L2-normalizes.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { AutoModel, AutoTokenizer, Tensor } from "@huggingface/transformers";
import type { Embedder, EmbedderInfo, EmbedOutput } from "../embedder/types.js";
import { assertValidOutput } from "../embedder/validate.js";
import { meanPoolNormalize } from "./mean-pool.js";
import { clipToWindow, type TokenRows } from "./token-window.js";

/** sentence-transformers' window for all-MiniLM-L6-v2, used when a model does not say. */
const DEFAULT_MAX_TOKENS = 256;

/** onnxruntime intra-op threads: the machine's 2 cores. */
export const DEFAULT_THREADS = 2;

/** Options of {@link createTransformersEmbedder}. */
export interface TransformersEmbedderOptions {
  /** Hub id (e.g. `Xenova/all-MiniLM-L6-v2`) or a local directory with the Hub layout. */
  model: string;
  /** Load `onnx/model_quantized.onnx` (q8) rather than `onnx/model.onnx` (fp32). Default true. */
  quantized?: boolean;
  /** Token window; default: the model's sentence_bert_config.json, else 256, capped by the model. */
  maxTokens?: number;
  /** onnxruntime intra-op threads; default 2. */
  threads?: number;
  /** Where hub models are cached (`<cacheDir>/<owner>/<name>/...`); ignored for a directory. */
  cacheDir?: string;
  /** Allow fetching a hub model that is not in `cacheDir`. Default false: never touch the network. */
  allowDownload?: boolean;
  /** Fingerprint id; default the hub id, or the directory's name. */
  id?: string;
}

/** A loaded transformers embedder; `info` is known once loading has finished. */
export interface TransformersEmbedder extends Embedder {
  readonly infoSync: EmbedderInfo;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
  return isRecord(parsed) ? parsed : undefined;
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : undefined;
}

function asTensor(value: unknown, what: string): Tensor {
  if (!(value instanceof Tensor)) throw new Error(`transformers.js returned no ${what} tensor`);
  return value;
}

function asInt64(value: unknown, what: string): { data: BigInt64Array; dims: number[] } {
  const tensor = asTensor(value, what);
  if (!(tensor.data instanceof BigInt64Array))
    throw new Error(`${what} is ${tensor.type}, expected int64`);
  return { data: tensor.data, dims: tensor.dims };
}

/**
 * Characters per token that a text's prefix is cut to before tokenizing (times the window): a
 * WordPiece token spans a few characters, so the window fills long before the cut. A text cut
 * here is counted as truncated even if, pathologically, its tokens would have fit.
 */
const CHARS_PER_TOKEN_BOUND = 32;

/** Loads the tokenizer and ONNX session and returns the embedder. */
export async function createTransformersEmbedder(
  options: TransformersEmbedderOptions,
): Promise<TransformersEmbedder> {
  const quantized = options.quantized ?? true;
  const isDir = existsSync(options.model) && statSync(options.model).isDirectory();
  // transformers.js treats anything that is not a valid hub id as a path; an absolute path keeps
  // a relative directory from being mistaken for `owner/name`.
  const source = isDir ? resolve(options.model) : options.model;
  const loadOptions = {
    local_files_only: isDir || !options.allowDownload,
    ...(isDir || options.cacheDir === undefined ? {} : { cache_dir: options.cacheDir }),
  };

  const tokenizer = await AutoTokenizer.from_pretrained(source, loadOptions);
  const model = await AutoModel.from_pretrained(source, {
    ...loadOptions,
    dtype: quantized ? "q8" : "fp32",
    device: "cpu",
    session_options: {
      intraOpNumThreads: options.threads ?? DEFAULT_THREADS,
      interOpNumThreads: 1,
    },
  });

  const config: unknown = model.config;
  const dims = isRecord(config) ? positiveInt(config.hidden_size) : undefined;
  if (dims === undefined) throw new Error(`model ${options.model}: config.json has no hidden_size`);
  const positions = isRecord(config) ? positiveInt(config.max_position_embeddings) : undefined;
  const modelMax = positiveInt(tokenizer.model_max_length);
  const declared = isDir
    ? positiveInt(readJson(join(source, "sentence_bert_config.json"))?.max_seq_length)
    : undefined;
  const maxTokens = Math.min(
    options.maxTokens ?? declared ?? DEFAULT_MAX_TOKENS,
    modelMax ?? Number.POSITIVE_INFINITY,
    positions ?? Number.POSITIVE_INFINITY,
  );

  const info: EmbedderInfo = {
    provider: "transformers",
    model: {
      id: options.id ?? (isDir ? basename(source) : source),
      dims,
      pooling: "mean",
      normalize: true,
    },
    // The project's generated test model has a real model's shape and speed but random weights:
    // its similarities mean nothing, and the status must not claim otherwise.
    semantic: !(isRecord(config) && "pyrite_test_model" in config),
    maxTokens,
  };

  // Each text is tokenized on its own, untruncated, then padded here: transformers.js pads a
  // batch only up to `model_max_length`, so a batch holding a longer text could not form one
  // tensor, and the cut to the window (keeping [SEP]) is clipToWindow's. Texts are first cut to
  // a generous character bound, so an 800 KB body doesn't cost a whole tokenization.
  const prefixChars = maxTokens * CHARS_PER_TOKEN_BOUND;
  const tokenizeEach = (texts: string[]): { rows: TokenRows; cut: number[] } => {
    const encoded = texts.map((text) => {
      const prefix = text.length > prefixChars ? text.slice(0, prefixChars) : text;
      const out = tokenizer._call(prefix, { padding: false, truncation: false });
      return {
        ids: asInt64(out.input_ids, "input_ids").data,
        types:
          out.token_type_ids === undefined
            ? undefined
            : asInt64(out.token_type_ids, "token_type_ids").data,
      };
    });
    const seq = Math.max(...encoded.map((e) => e.ids.length));
    const batch = texts.length;
    const ids = new BigInt64Array(batch * seq);
    const mask = new BigInt64Array(batch * seq);
    const types = new BigInt64Array(batch * seq);
    encoded.forEach((e, b) => {
      ids.set(e.ids, b * seq);
      mask.fill(1n, b * seq, b * seq + e.ids.length);
      if (e.types) types.set(e.types, b * seq);
    });
    const cut = texts.flatMap((text, i) => (text.length > prefixChars ? [i] : []));
    return { rows: { ids, mask, types, batch, seq }, cut };
  };

  const embed = async (texts: string[]): Promise<EmbedOutput> => {
    if (texts.length === 0) return { vectors: [], truncated: [] };
    const tokenized = tokenizeEach(texts);
    const clipped = clipToWindow(tokenized.rows, maxTokens);
    const rows = clipped.rows;
    const truncated = [...new Set([...clipped.truncated, ...tokenized.cut])].sort((a, b) => a - b);
    const shape = [rows.batch, rows.seq];
    const output: unknown = await model({
      input_ids: new Tensor("int64", rows.ids, shape),
      attention_mask: new Tensor("int64", rows.mask, shape),
      // BERT models without token types in their graph simply ignore this input.
      token_type_ids: new Tensor("int64", rows.types ?? new BigInt64Array(rows.ids.length), shape),
    });
    const hidden = asTensor(
      isRecord(output) ? output.last_hidden_state : undefined,
      "last_hidden_state",
    );
    const [batch, tokens, width] = hidden.dims;
    if (
      batch === undefined ||
      tokens === undefined ||
      width === undefined ||
      !(hidden.data instanceof Float32Array)
    ) {
      throw new Error(`unexpected last_hidden_state: ${hidden.type} [${hidden.dims.join(", ")}]`);
    }
    const vectors = meanPoolNormalize(hidden.data, [batch, tokens, width], rows.mask);
    const result = { vectors, truncated };
    assertValidOutput(result, texts.length, dims);
    return result;
  };

  return { info: async () => info, infoSync: info, embed };
}
