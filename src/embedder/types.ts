/**
 * The one interface every embedding provider implements, wherever it runs (workerd or Node).
 * Shared by the worker and the Node-side embedder process: no runtime-specific imports here.
 */

/** Which implementation produced a vector. */
export type EmbedderProvider = "transformers" | "bundled" | "workers-ai" | "hash";

/** How token vectors are pooled into one sentence vector. */
export type Pooling = "mean" | "cls" | "none";

/**
 * Identifies the vector space. Two vectors are comparable only when their fingerprints are equal,
 * so search filters on it and vectors of another fingerprint count as stale.
 */
export interface ModelFingerprint {
  /** Model id (e.g. `Xenova/all-MiniLM-L6-v2`) or a stable name for a local directory. */
  id: string;
  dims: number;
  pooling: Pooling;
  normalize: boolean;
}

/** What an embedder says about itself; served by the Node embedder at `GET /info`. */
export interface EmbedderInfo {
  provider: EmbedderProvider;
  model: ModelFingerprint;
  /** False for the lexical `hash` fallback: its similarities are word overlap, not meaning. */
  semantic: boolean;
  /**
   * Token window: the model sees a text's first `maxTokens` tokens; longer texts are truncated
   * (and counted). Size passages to it, estimating tokens with `estimateTokens` (tokens.ts).
   */
  maxTokens: number;
  /**
   * Tokens per word (and punctuation mark) of this model's tokenizer on English prose, rounded
   * up; passage budgets are scaled by it (`tokenScale` in tokens.ts); absent means WordPiece's.
   */
  tokensPerWord?: number;
}

/** One batch's result: a vector per input text, in input order. */
export interface EmbedOutput {
  vectors: Float32Array[];
  /** Input indices whose text exceeded the token window and was truncated. */
  truncated: number[];
}

/** Texts in, float32 vectors out. Implementations must reject rather than return bad vectors. */
export interface Embedder {
  info(): Promise<EmbedderInfo>;
  embed(texts: string[]): Promise<EmbedOutput>;
}

/** Stable string form of a fingerprint, stored beside each vector (`entry_embeddings.model`). */
export function fingerprintKey(model: ModelFingerprint): string {
  return `${model.id}|${model.dims}|${model.pooling}|${model.normalize ? "norm" : "raw"}`;
}
