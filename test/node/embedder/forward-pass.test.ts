import { AutoModel, AutoTokenizer, Tensor } from "@huggingface/transformers";
import { beforeAll, describe, expect, it } from "vitest";
import { createTransformersEmbedder } from "../../../src/node/transformers-embedder.js";
import { cosine, maxAbsDiff, tinyModelDir, words } from "./model.js";
import { loadReferenceModel, referenceForward } from "./reference-bert.js";

function tensor(value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new Error("expected a tensor");
  return value;
}

describe("generated ONNX model", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await tinyModelDir();
  });

  it("fp32 output matches a plain TypeScript BERT forward pass within 1e-4", async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    const model = await AutoModel.from_pretrained(dir, {
      local_files_only: true,
      dtype: "fp32",
      device: "cpu",
    });
    const reference = await loadReferenceModel(dir);
    const texts = ["i like strawberries", `a longer sentence about ${words(20)}`];
    // Padded batch: the short text's real tokens must still match its unpadded reference.
    const encoded = tokenizer._call(texts, { padding: true });
    const output: unknown = await model(encoded);
    const hidden = tensor((output as { last_hidden_state?: unknown }).last_hidden_state);
    const [, seq = 0, width = 0] = hidden.dims;
    expect(width).toBe(32);
    for (const [b, text] of texts.entries()) {
      const ids = tokenizer.encode(text);
      const expected = referenceForward(
        reference,
        ids,
        ids.map(() => 0),
      );
      const actual = hidden.data.slice(b * seq * width, (b * seq + ids.length) * width);
      const flat = expected.flatMap((row) => Array.from(row));
      expect(maxAbsDiff(Array.from(actual as Float32Array), flat)).toBeLessThan(1e-4);
    }
  });

  it("q8 pooled vectors stay close to fp32", async () => {
    const fp32 = await createTransformersEmbedder({ model: dir, quantized: false });
    const q8 = await createTransformersEmbedder({ model: dir, quantized: true });
    const texts = ["i like strawberries", "climate policy and carbon taxes", words(60, 3)];
    const [a, b] = await Promise.all([fp32.embed(texts), q8.embed(texts)]);
    for (const [i, vector] of a.vectors.entries()) {
      const other = b.vectors[i];
      if (!other) throw new Error("missing q8 vector");
      expect(cosine(vector, other)).toBeGreaterThan(0.95);
    }
  });
});
