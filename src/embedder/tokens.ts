/**
 * Token estimates without a tokenizer, for the worker (which has none): words and punctuation
 * marks times the model's tokens per word, plus two for the special tokens BERT-style models add.
 * Subword tokenizers split rare words, so the factor is above 1. Pure TypeScript (workerd and Node).
 */

/** Tokens per word assumed when a model does not say: WordPiece on English prose. */
const DEFAULT_TOKENS_PER_WORD = 1.3;

/**
 * Estimated tokens of `text`: `ceil(words × tokensPerWord) + 2`. An estimate: use it to size
 * passages and to count truncation where the embedder cannot; the embedder cuts exactly.
 */
export function estimateTokens(text: string, tokensPerWord = DEFAULT_TOKENS_PER_WORD): number {
  const words = text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)?.length ?? 0;
  return Math.ceil(words * tokensPerWord) + 2;
}
