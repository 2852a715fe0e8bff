/**
 * The `hash` provider: lexical feature hashing, no weights. Word unigrams, word bigrams and
 * character 3-grams are hashed (FNV-1a) into a signed 384-dimension vector with sub-linear term
 * frequency, then L2-normalized. Similar vectors mean shared words, not shared meaning, so it
 * says `semantic: false`. Pure TypeScript: runs in workerd and Node alike.
 */
import type { Embedder, EmbedderInfo, EmbedOutput } from "./types.js";
import { assertValidOutput } from "./validate.js";

/** Dimensions of hash vectors: the same as MiniLM's, so storage and indexes need not change. */
const HASH_DIMS = 384;

/** Word window: texts with more words are cut here, and counted as truncated. */
export const HASH_MAX_WORDS = 512;

/** What the hash embedder says about itself. */
export const HASH_INFO: EmbedderInfo = {
  provider: "hash",
  model: { id: "hash-v1", dims: HASH_DIMS, pooling: "none", normalize: true },
  semantic: false,
  maxTokens: HASH_MAX_WORDS,
};

// Whole words carry most of the signal; character 3-grams only soften inflections and typos.
const UNIGRAM_WEIGHT = 1;
const BIGRAM_WEIGHT = 0.7;
const TRIGRAM_WEIGHT = 0.3;

/** An empty text still needs a unit vector (a zero vector has no direction to compare). */
const EMPTY_FEATURE = "\u0000empty";

/** Lower-cased runs of letters and digits, in order. */
export function hashWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Tokenizer-free truncation: the first `maxWords` words, and whether anything was cut. */
export function truncateWords(
  words: string[],
  maxWords = HASH_MAX_WORDS,
): { words: string[]; truncated: boolean } {
  return words.length > maxWords
    ? { words: words.slice(0, maxWords), truncated: true }
    : { words, truncated: false };
}

/** 32-bit FNV-1a over UTF-16 code units: fast, stable across runtimes and releases. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** murmur3's finalizer: decorrelates the sign bit from the bucket index. */
function mix(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function countFeatures(words: string[]): Map<string, { count: number; weight: number }> {
  const features = new Map<string, { count: number; weight: number }>();
  const add = (feature: string, weight: number) => {
    const seen = features.get(feature);
    if (seen) seen.count++;
    else features.set(feature, { count: 1, weight });
  };
  words.forEach((word, i) => {
    add(`w:${word}`, UNIGRAM_WEIGHT);
    const next = words[i + 1];
    if (next !== undefined) add(`b:${word} ${next}`, BIGRAM_WEIGHT);
    const padded = `^${word}$`;
    for (let c = 0; c + 3 <= padded.length; c++) add(`c:${padded.slice(c, c + 3)}`, TRIGRAM_WEIGHT);
  });
  if (features.size === 0) add(EMPTY_FEATURE, 1);
  return features;
}

/** The hash vector of already-split words. */
function hashVector(words: string[], dims = HASH_DIMS): Float32Array {
  const sums = new Float64Array(dims);
  for (const [feature, { count, weight }] of countFeatures(words)) {
    const hash = fnv1a(feature);
    const sign = mix(hash) & 1 ? -1 : 1;
    const bucket = hash % dims;
    sums[bucket] = (sums[bucket] ?? 0) + sign * weight * (1 + Math.log(count));
  }
  let norm = 0;
  for (const value of sums) norm += value * value;
  norm = Math.sqrt(norm);
  const vector = new Float32Array(dims);
  // Opposite signs can cancel to exactly zero; keep the zero vector rather than divide by it.
  if (norm > 0) for (let i = 0; i < dims; i++) vector[i] = (sums[i] ?? 0) / norm;
  return vector;
}

/** Creates the lexical hash embedder. */
export function createHashEmbedder(): Embedder {
  return {
    info: async () => HASH_INFO,
    embed: async (texts: string[]): Promise<EmbedOutput> => {
      const truncated: number[] = [];
      const vectors = texts.map((text, index) => {
        const cut = truncateWords(hashWords(text));
        if (cut.truncated) truncated.push(index);
        return hashVector(cut.words);
      });
      const batch = { vectors, truncated };
      assertValidOutput(batch, texts.length, HASH_DIMS);
      return batch;
    },
  };
}
