/**
 * The SentencePiece unigram tokenizer of Universal Sentence Encoder lite: NFKC, spaces become
 * "▁" (and one leads the text), then the highest-scoring segmentation into vocabulary pieces
 * (Viterbi over a trie of the pieces). A port of Google's Apache-2.0 tokenizer in
 * `@tensorflow-models/universal-sentence-encoder` (also what `@energetic-ai/embeddings` ships),
 * with the same ids for every input; a test checks that against the original.
 */

/** `[piece, log-probability score]` in id order, as `vocab.json` holds them. */
export type Vocabulary = ReadonlyArray<readonly [string, number]>;

/** Checks a parsed `vocab.json`: a list of `[piece, score]`. */
export function parseVocabulary(parsed: unknown): Vocabulary {
  if (!Array.isArray(parsed)) throw new Error("vocabulary is not a list");
  return parsed.map((entry: unknown, id): readonly [string, number] => {
    if (Array.isArray(entry) && typeof entry[0] === "string") {
      if (typeof entry[1] === "number") return [entry[0], entry[1]];
      // A few user-defined pieces (":", "://") have no score; the reference tokenizer adds null
      // as 0, the best score there is, so they always win: kept, for identical ids.
      if (entry[1] === null) return [entry[0], 0];
    }
    throw new Error(`vocabulary entry ${id} is not [piece, score]`);
  });
}

/** Ids 0–5 are `<unk>`, `<s>`, `</s>` and three extras: never produced by segmentation. */
const RESERVED_SYMBOLS = 6;

/** The unknown piece's id. */
export const UNKNOWN_ID = 0;

const SEPARATOR = "\u2581";

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Set when a piece ends here. */
  piece?: { id: number; score: number; length: number };
}

const newNode = (): TrieNode => ({ children: new Map() });

/** A tokenizer over one vocabulary. */
export interface SentencePieceTokenizer {
  /** Token ids of `text` (no start/end symbols: the model takes none). */
  encode(text: string): number[];
}

/** Builds the tokenizer; throws when `vocabulary` is not a list of `[string, number]`. */
export function createSentencePieceTokenizer(vocabulary: Vocabulary): SentencePieceTokenizer {
  const root = newNode();
  for (let id = RESERVED_SYMBOLS; id < vocabulary.length; id++) {
    const entry = vocabulary[id];
    if (entry === undefined || typeof entry[0] !== "string" || typeof entry[1] !== "number")
      throw new Error(`vocabulary entry ${id} is not [piece, score]`);
    const symbols = [...entry[0]];
    let node = root;
    for (const symbol of symbols) {
      let child = node.children.get(symbol);
      if (child === undefined) {
        child = newNode();
        node.children.set(symbol, child);
      }
      node = child;
    }
    node.piece = { id, score: entry[1], length: symbols.length };
  }

  const encode = (text: string): number[] => {
    const normalized = text.normalize("NFKC");
    if (normalized.length === 0) return [];
    const symbols = [...`${SEPARATOR}${normalized.replace(/ /g, SEPARATOR)}`];
    const n = symbols.length;
    // best[end]: the best score of a segmentation of symbols[0, end); 0 means "none yet", as in
    // the original (scores are negative, so a real 0 only arises for unknown symbols).
    const best = new Float64Array(n + 1);
    const bestId = new Int32Array(n + 1);
    const bestLength = new Int32Array(n + 1);
    // Pieces are visited by end position, and at one end by ascending start, with `>=` ties
    // going to the later one: exactly the original's order, so ties resolve the same way.
    const arcs: Array<Array<{ start: number; id: number; score: number; length: number }>> =
      Array.from({ length: n + 1 }, () => []);
    for (let start = 0; start < n; start++) {
      let node = root.children.get(symbols[start] ?? "");
      let matched = false;
      for (let i = start; i < n && node !== undefined; i++) {
        if (node.piece !== undefined) {
          arcs[start + node.piece.length]?.push({ start, ...node.piece });
          matched = true;
        }
        node = node.children.get(symbols[i + 1] ?? "");
      }
      if (!matched) arcs[start + 1]?.push({ start, id: UNKNOWN_ID, score: 0, length: 1 });
    }
    for (let end = 0; end <= n; end++) {
      // Pushed in ascending start order above.
      for (const arc of arcs[end] ?? []) {
        const score = arc.score + (best[arc.start] ?? 0);
        if (best[end] === 0 || score >= (best[end] ?? 0)) {
          best[end] = score;
          bestId[end] = arc.id;
          bestLength[end] = arc.length;
        }
      }
    }
    const ids: number[] = [];
    for (let end = n; end > 0; end -= Math.max(1, bestLength[end] ?? 1)) ids.push(bestId[end] ?? 0);
    ids.reverse();
    // Runs of unknown pieces collapse into one.
    return ids.filter((id, i) => !(id === UNKNOWN_ID && ids[i - 1] === UNKNOWN_ID));
  };

  return { encode };
}
