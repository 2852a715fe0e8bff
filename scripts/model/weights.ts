/**
 * Seeded weights of a BERT encoder. Each tensor draws from its own PRNG seeded by its name, so a
 * tensor's values do not depend on generation order and a test can regenerate any one of them.
 */
import { mulberry32, normalSampler, seedFromName } from "./prng.js";
import type { BertSpec } from "./spec.js";
import { INIT_STD, MODEL_SEED } from "./spec.js";

/** A float32 tensor: row-major data and its shape. */
export interface FloatTensor {
  dims: number[];
  data: Float32Array;
}

/** Weights by name. Linear weights are stored [in, out], ready for MatMul (x · W). */
export type BertWeights = Map<string, FloatTensor>;

/** Names of the tensors of encoder layer `layer`, shared by the graph builder and the tests. */
export function layerNames(layer: number) {
  const p = `encoder.layer.${layer}.`;
  return {
    query: { weight: `${p}attention.self.query.weight`, bias: `${p}attention.self.query.bias` },
    key: { weight: `${p}attention.self.key.weight`, bias: `${p}attention.self.key.bias` },
    value: { weight: `${p}attention.self.value.weight`, bias: `${p}attention.self.value.bias` },
    attentionOut: {
      weight: `${p}attention.output.dense.weight`,
      bias: `${p}attention.output.dense.bias`,
    },
    attentionNorm: {
      weight: `${p}attention.output.LayerNorm.weight`,
      bias: `${p}attention.output.LayerNorm.bias`,
    },
    intermediate: { weight: `${p}intermediate.dense.weight`, bias: `${p}intermediate.dense.bias` },
    output: { weight: `${p}output.dense.weight`, bias: `${p}output.dense.bias` },
    outputNorm: { weight: `${p}output.LayerNorm.weight`, bias: `${p}output.LayerNorm.bias` },
  };
}

/** Names of the embedding tensors. */
export const EMBEDDING_NAMES = {
  word: "embeddings.word_embeddings.weight",
  position: "embeddings.position_embeddings.weight",
  tokenType: "embeddings.token_type_embeddings.weight",
  norm: { weight: "embeddings.LayerNorm.weight", bias: "embeddings.LayerNorm.bias" },
} as const;

/** Normal(0, INIT_STD) values for tensor `name`. */
export function randomTensor(name: string, dims: number[], seed = MODEL_SEED): FloatTensor {
  const size = dims.reduce((a, b) => a * b, 1);
  const normal = normalSampler(mulberry32(seedFromName(name, seed)));
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = normal() * INIT_STD;
  return { dims, data };
}

function constantTensor(dims: number[], value: number): FloatTensor {
  const size = dims.reduce((a, b) => a * b, 1);
  return { dims, data: new Float32Array(size).fill(value) };
}

/** Every weight of a BERT encoder of shape `spec`, deterministically from `seed`. */
export function generateWeights(spec: BertSpec, seed = MODEL_SEED): BertWeights {
  const weights: BertWeights = new Map();
  const random = (name: string, dims: number[]) =>
    weights.set(name, randomTensor(name, dims, seed));
  // BERT initializes layer norms to the identity (gamma 1, beta 0).
  const norm = (names: { weight: string; bias: string }) => {
    weights.set(names.weight, constantTensor([spec.hidden], 1));
    weights.set(names.bias, constantTensor([spec.hidden], 0));
  };
  // Biases are random rather than BERT's zeros so the tests exercise every Add in the graph.
  const linear = (names: { weight: string; bias: string }, inDim: number, outDim: number) => {
    random(names.weight, [inDim, outDim]);
    random(names.bias, [outDim]);
  };

  random(EMBEDDING_NAMES.word, [spec.vocabSize, spec.hidden]);
  random(EMBEDDING_NAMES.position, [spec.maxPositions, spec.hidden]);
  random(EMBEDDING_NAMES.tokenType, [spec.typeVocabSize, spec.hidden]);
  norm(EMBEDDING_NAMES.norm);
  for (let layer = 0; layer < spec.layers; layer++) {
    const n = layerNames(layer);
    linear(n.query, spec.hidden, spec.hidden);
    linear(n.key, spec.hidden, spec.hidden);
    linear(n.value, spec.hidden, spec.hidden);
    linear(n.attentionOut, spec.hidden, spec.hidden);
    norm(n.attentionNorm);
    linear(n.intermediate, spec.hidden, spec.intermediate);
    linear(n.output, spec.intermediate, spec.hidden);
    norm(n.outputNorm);
  }
  return weights;
}
