/**
 * A minimal fake of the Workers AI binding for the BGE embedding models: deterministic vectors
 * (the hash embedder's, repeated to the model's size) in the documented response shape, and a
 * count of calls per model. Enough to run a deployed-style migration between two AI models.
 */
import { createHashEmbedder } from "../../src/embedder/hash.js";

const DIMS: Readonly<Record<string, number>> = {
  "@cf/baai/bge-small-en-v1.5": 384,
  "@cf/baai/bge-base-en-v1.5": 768,
};

/** The fake binding, with the texts each model was asked to embed. */
export interface FakeAi {
  run(model: string, input: { text: string[]; pooling?: string }): Promise<unknown>;
  calls: Map<string, number>;
}

/** Creates the fake; a model it does not know fails as the real binding does. */
export function createFakeAi(): FakeAi {
  const hash = createHashEmbedder();
  const calls = new Map<string, number>();
  return {
    calls,
    async run(model, input) {
      const dims = DIMS[model];
      if (dims === undefined) throw new Error(`AiError: no such model ${model}`);
      calls.set(model, (calls.get(model) ?? 0) + input.text.length);
      const { vectors } = await hash.embed(input.text);
      const data = vectors.map((v) =>
        Array.from({ length: dims }, (_, i) => (v[i % v.length] ?? 0) * (i < v.length ? 1 : 0.5)),
      );
      return { shape: [input.text.length, dims], data, pooling: input.pooling ?? "mean" };
    },
  };
}
