/**
 * Token estimates without a tokenizer, for the worker (which has none): the splitter sizes
 * passages by them and the Workers AI adapter counts truncation by them. They lean high: a passage
 * estimated to fit must really fit, or its tail would be cut off by the embedder and never be
 * searchable. The embedder itself always cuts exactly. Pure TypeScript (workerd and Node).
 */

/** The model's own tokens around every text ([CLS] and [SEP], or <s> and </s>). */
export const SPECIAL_TOKENS = 2;

/** Tokens per word assumed when a model does not say: WordPiece on English prose. */
const DEFAULT_TOKENS_PER_WORD = 1.3;

/**
 * What `estimateTokens` gives per word (and punctuation mark) of English prose: 1.48 on the
 * pyrite corpus (p5 1.32). A model whose tokenizer needs more per word (`tokensPerWord`, e.g.
 * the bundled model's 1.6) gets budgets scaled down by this ratio; none are scaled up.
 */
const ESTIMATE_PER_WORD = 1.48;

/** The share of an estimated budget a model with `tokensPerWord` can take (at most 1). */
export function tokenScale(tokensPerWord = DEFAULT_TOKENS_PER_WORD): number {
  return Math.min(1, ESTIMATE_PER_WORD / tokensPerWord);
}

/**
 * Letters runs cost one token per 4 characters (a common English word is one token, a rare or
 * long one splits into pieces); digit runs one per 3 (numbers split into short pieces); CJK and
 * similar scripts one per character (both tokenizers give each such character its own piece);
 * every other non-space character (punctuation, symbols, markdown) one each.
 */
const PIECES = /[\p{L}\p{M}]+|\p{N}+|[^\s\p{L}\p{M}\p{N}]/gu;
const ONE_PER_CHAR =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u;
const DIGIT = /\p{N}/u;

/** Estimated tokens of `text` (without the model's special tokens). */
export function estimateTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(PIECES)) {
    const piece = match[0];
    const first = piece[0] ?? "";
    if (piece.length === 1 && !DIGIT.test(first) && !/[\p{L}\p{M}]/u.test(first)) tokens += 1;
    else if (DIGIT.test(first)) tokens += Math.ceil(piece.length / 3);
    else if (ONE_PER_CHAR.test(piece)) tokens += piece.length;
    else tokens += Math.ceil(piece.length / 4);
  }
  return tokens;
}

/**
 * The longest prefix of `text` estimated at no more than `budget` tokens, ending at a word
 * boundary where there is one: how an oversized piece is cut when nothing better is left.
 */
export function prefixWithin(text: string, budget: number): number {
  let tokens = 0;
  let end = 0;
  for (const match of text.matchAll(PIECES)) {
    const cost = estimateTokens(match[0]);
    if (tokens + cost > budget) {
      // A single piece longer than the whole budget (a 10 KB base64 line) is cut inside itself.
      if (end === 0) return Math.max(1, Math.min(text.length, budget * 3));
      return end;
    }
    tokens += cost;
    end = match.index + match[0].length;
  }
  return text.length;
}
