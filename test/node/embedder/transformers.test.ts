import { beforeAll, describe, expect, it } from "vitest";
import { meanPoolNormalize } from "../../../src/node/mean-pool.js";
import { clipToWindow } from "../../../src/node/token-window.js";
import {
  createTransformersEmbedder,
  type TransformersEmbedder,
} from "../../../src/node/transformers-embedder.js";
import { maxAbsDiff, norm, tinyModelDir, words } from "./model.js";

describe("transformers embedder (tiny model)", () => {
  let embedder: TransformersEmbedder;
  let fp32: TransformersEmbedder;
  beforeAll(async () => {
    embedder = await createTransformersEmbedder({ model: await tinyModelDir() });
    fp32 = await createTransformersEmbedder({ model: await tinyModelDir(), quantized: false });
  });

  it("describes itself from the model directory", async () => {
    expect(await embedder.info()).toEqual({
      provider: "transformers",
      model: { id: "pyrite-test-tiny", dims: 32, pooling: "mean", normalize: true },
      // Random weights: the generated model says its similarities mean nothing.
      semantic: false,
      maxTokens: 256,
    });
  });

  it("returns unit vectors", async () => {
    const { vectors } = await embedder.embed(["one", "two words", words(100)]);
    for (const v of vectors) expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-5);
  });

  it("mean pooling ignores padding: a text embeds the same alone and in a mixed batch", async () => {
    // fp32: q8 quantizes activations per batch tensor (as the real q8 model does), so there a
    // text's neighbours shift its vector by ~1e-3; that is quantization, not pooling.
    const texts = ["short", `medium length text about ${words(12)}`, words(90, 5)];
    const batch = await fp32.embed(texts);
    for (const [i, text] of texts.entries()) {
      const alone = await fp32.embed([text]);
      expect(maxAbsDiff(batch.vectors[i] ?? [], alone.vectors[0] ?? [])).toBeLessThan(1e-4);
    }
  });

  it("truncates by tokens at the window and reports which texts", async () => {
    const long = words(400);
    const result = await embedder.embed(["short", long, "also short"]);
    expect(result.truncated).toEqual([1]);
    expect(result.vectors).toHaveLength(3);
    // Truncated at 256 tokens: the same as embedding the first 254 words (+[CLS], [SEP]).
    const alone = await embedder.embed([long]);
    const cut = await embedder.embed([long.split(" ").slice(0, 254).join(" ")]);
    expect(alone.truncated).toEqual([0]);
    expect(cut.truncated).toEqual([]);
    expect(maxAbsDiff(alone.vectors[0] ?? [], cut.vectors[0] ?? [])).toBeLessThan(1e-4);
    // In a padded batch too (fp32, so batch neighbours cannot move it through quantization).
    const mixed = await fp32.embed(["short", long, "also short"]);
    const cutFp32 = await fp32.embed([long.split(" ").slice(0, 254).join(" ")]);
    expect(mixed.truncated).toEqual([1]);
    expect(maxAbsDiff(mixed.vectors[1] ?? [], cutFp32.vectors[0] ?? [])).toBeLessThan(1e-4);
  });

  it("handles an empty batch", async () => {
    expect(await embedder.embed([])).toEqual({ vectors: [], truncated: [] });
  });
});

describe("clipToWindow", () => {
  it("keeps the first window-1 tokens, closes with the row's last token, and leaves short rows alone", () => {
    const ids = BigInt64Array.from([101n, 1n, 2n, 3n, 4n, 102n, 101n, 7n, 102n, 0n, 0n, 0n]);
    const mask = BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n, 0n, 0n]);
    const { rows, truncated } = clipToWindow({ ids, mask, batch: 2, seq: 6 }, 4);
    expect(truncated).toEqual([0]);
    expect(rows.seq).toBe(4);
    expect(Array.from(rows.ids)).toEqual([101n, 1n, 2n, 102n, 101n, 7n, 102n, 0n]);
    expect(Array.from(rows.mask)).toEqual([1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n]);
    expect(clipToWindow({ ids, mask, batch: 2, seq: 6 }, 6).truncated).toEqual([]);
  });
});

describe("meanPoolNormalize", () => {
  it("averages only masked-in tokens, then normalizes", () => {
    // batch 2, seq 3, dims 2; row 0 has a padded third token holding garbage.
    const hidden = Float32Array.from([1, 0, 3, 0, 100, 100, 0, 2, 0, 4, 0, 6]);
    const [a, b] = meanPoolNormalize(hidden, [2, 3, 2], [1n, 1n, 0n, 1n, 1n, 1n]);
    expect(Array.from(a ?? [])).toEqual([1, 0]);
    expect(Array.from(b ?? [])).toEqual([0, 1]);
  });
});

describe("texts longer than the tokenizer's model_max_length", () => {
  it("embed in one batch beside short ones, each as if alone, and count as truncated", async () => {
    const embedder = await createTransformersEmbedder({ model: await tinyModelDir() });
    const long = words(2000, 3); // far past the 512 positions of the tokenizer's own limit
    const batch = await embedder.embed(["short text", long, words(30)]);
    expect(batch.truncated).toEqual([1]);
    const alone = await embedder.embed([long]);
    expect(alone.truncated).toEqual([0]);
    expect(maxAbsDiff(batch.vectors[1] ?? [], alone.vectors[0] ?? [])).toBeLessThan(1e-2);
  });
});
