/**
 * The `workers-ai` provider: Cloudflare's `AI` binding when deployed. BGE models answer
 * `{ shape: [n, dims], data: number[][], pooling?: "mean" | "cls" }`. We ask for CLS pooling
 * explicitly: Cloudflare's default is mean only for backward compatibility, and recommends CLS
 * (the two are not comparable, so the fingerprint records which one we got).
 */

import { DEFAULT_RETRY_AFTER_MS, embedderBusy, parseRetryAfter } from "./backpressure.js";
import { estimateTokens, SPECIAL_TOKENS } from "./tokens.js";
import type { Embedder, EmbedderInfo, EmbedOutput, Pooling } from "./types.js";
import { assertValidOutput } from "./validate.js";

/** The slice of the `AI` binding this provider uses. */
export interface AiBinding {
  run(model: string, input: { text: string[]; pooling?: "mean" | "cls" }): Promise<unknown>;
}

/** Output sizes of the BGE embedding models on Workers AI. */
const WORKERS_AI_DIMS: Readonly<Record<string, number>> = {
  "@cf/baai/bge-small-en-v1.5": 384,
  "@cf/baai/bge-base-en-v1.5": 768,
  "@cf/baai/bge-large-en-v1.5": 1024,
};

/** BGE's token window. */
const BGE_MAX_TOKENS = 512;

/** Texts per `ai.run` call: Workers AI caps embedding batches at 100 inputs. */
const MAX_TEXTS_PER_CALL = 100;

const POOLING: Extract<Pooling, "cls"> = "cls";

// BGE's WordPiece is the default estimate's tokenizer. Workers AI truncates silently and reports
// nothing, so `truncated` is an estimate: a text near the window may be miscounted either way.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Checks the documented response shape and returns its rows (still unvalidated numbers). */
function parseResponse(output: unknown, count: number, dims: number): number[][] {
  if (!isRecord(output) || !Array.isArray(output.data)) {
    throw new Error(
      `Workers AI returned no embeddings (data missing): ${JSON.stringify(output).slice(0, 200)}`,
    );
  }
  if (output.pooling !== undefined && output.pooling !== POOLING) {
    throw new Error(`Workers AI pooled with "${String(output.pooling)}", asked for "${POOLING}"`);
  }
  if (Array.isArray(output.shape) && (output.shape[0] !== count || output.shape[1] !== dims)) {
    throw new Error(
      `Workers AI returned shape [${output.shape.join(", ")}], expected [${count}, ${dims}]`,
    );
  }
  const rows: unknown[] = output.data;
  return rows.map((row, i) => {
    if (!Array.isArray(row) || !row.every((x): x is number => typeof x === "number")) {
      throw new Error(`Workers AI embedding ${i} is not an array of numbers`);
    }
    return row;
  });
}

/**
 * Workers AI's answers that mean "come back later" rather than "these texts failed": HTTP 429 and
 * 503, and the internal codes of its 429s (3040 out of capacity; 3036 the account's daily
 * allocation used up). The binding throws them as errors whose message starts with the internal
 * code (`"3040: Out of capacity"`); a `Retry-After` reaches us as a property or, through RPC
 * (which keeps only the message), in the message text.
 */
const BUSY_PATTERN =
  /\b(3040|3036|429|503)\b|too many requests|service unavailable|out of capacity/i;
const RETRY_AFTER_PATTERN = /retry-after:?\s*([^;,)\s]+)/i;

/** A backpressure error for a busy answer (see `backpressure.ts`), or the error itself. */
function classify(err: unknown, now: number): unknown {
  const message = err instanceof Error ? err.message : String(err);
  if (!BUSY_PATTERN.test(message)) return err;
  const property = typeof err === "object" && err !== null ? Reflect.get(err, "retryAfter") : null;
  const header =
    typeof property === "string" || typeof property === "number" ? String(property) : null;
  const wait =
    parseRetryAfter(header, now) ??
    parseRetryAfter(RETRY_AFTER_PATTERN.exec(message)?.[1], now) ??
    DEFAULT_RETRY_AFTER_MS;
  return embedderBusy(`Workers AI is busy: ${message.slice(0, 200)}`, wait);
}

/** L2-normalizes into float32; a zero or non-finite norm is left for validation to reject. */
function normalized(row: number[]): Float32Array {
  const norm = Math.sqrt(row.reduce((sum, x) => sum + x * x, 0));
  return Float32Array.from(row, (x) => (norm > 0 ? x / norm : Number.NaN));
}

/** Creates the Workers AI embedder. `dims` is needed only for a model not in {@link WORKERS_AI_DIMS}. */
export function createWorkersAiEmbedder(
  ai: AiBinding,
  model = "@cf/baai/bge-small-en-v1.5",
  dims?: number,
): Embedder {
  const size = dims ?? WORKERS_AI_DIMS[model];
  if (size === undefined)
    throw new Error(`unknown dimensions for Workers AI model ${model}: pass dims`);
  const info: EmbedderInfo = {
    provider: "workers-ai",
    model: { id: model, dims: size, pooling: POOLING, normalize: true },
    semantic: true,
    maxTokens: BGE_MAX_TOKENS,
  };

  return {
    info: async () => info,
    embed: async (texts: string[]): Promise<EmbedOutput> => {
      const vectors: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += MAX_TEXTS_PER_CALL) {
        const part = texts.slice(start, start + MAX_TEXTS_PER_CALL);
        const output = await ai
          .run(model, { text: part, pooling: POOLING })
          .catch((err: unknown) => {
            throw classify(err, Date.now());
          });
        vectors.push(...parseResponse(output, part.length, size).map(normalized));
      }
      const truncated = texts.flatMap((text, i) =>
        estimateTokens(text) + SPECIAL_TOKENS > BGE_MAX_TOKENS ? [i] : [],
      );
      const batch = { vectors, truncated };
      assertValidOutput(batch, texts.length, size);
      return batch;
    },
  };
}
