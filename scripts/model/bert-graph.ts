/**
 * The ONNX graph of a BERT encoder with the inputs and output transformers.js feeds a BERT
 * feature-extraction model: input_ids, attention_mask, token_type_ids → last_hidden_state.
 * `q8` writes int8 weights with dynamic activation quantization (the pattern onnxruntime's
 * `quantize_dynamic` emits and fuses into DynamicQuantizeMatMul), like Xenova's model_quantized.
 */
import {
  attrFloat,
  attrInt,
  attrInts,
  DataType,
  encodeModel,
  GraphBuilder,
  valueInfo,
} from "./onnx-builder.js";
import { quantizePerColumn, quantizePerTensor } from "./quantize.js";
import type { BertSpec } from "./spec.js";
import type { BertWeights, FloatTensor } from "./weights.js";
import { EMBEDDING_NAMES, layerNames } from "./weights.js";

/** Float32 weights or int8-quantized MatMul weights and word embeddings. */
export type Precision = "fp32" | "q8";

/** LayerNormalization became a standard op in opset 17. */
const OPSET = 17;

/** Additive mask for padded keys, as in the original BERT: exp(-10000) is exactly 0 in float32. */
export const MASK_NEGATIVE = -10000;

/** Graph input/output names transformers.js uses for BERT models. */
export const IO_NAMES = {
  inputIds: "input_ids",
  attentionMask: "attention_mask",
  tokenTypeIds: "token_type_ids",
  output: "last_hidden_state",
} as const;

function weight(weights: BertWeights, name: string): FloatTensor {
  const tensor = weights.get(name);
  if (tensor === undefined) throw new Error(`missing weight ${name}`);
  return tensor;
}

/** Builds and serializes the encoder graph. */
export function buildBertModel(
  spec: BertSpec,
  weights: BertWeights,
  precision: Precision,
): Uint8Array {
  const g = new GraphBuilder();
  const headDim = spec.hidden / spec.heads;
  const float = (name: string) => {
    const t = weight(weights, name);
    return g.float(name, t.dims, t.data);
  };

  const linear = (x: string, names: { weight: string; bias: string }): string => {
    const bias = float(names.bias);
    if (precision === "fp32")
      return g.op1("Add", [g.op1("MatMul", [x, float(names.weight)]), bias]);
    const q = quantizePerColumn(weight(weights, names.weight));
    const wq = g.int8(`${names.weight}_quantized`, q.dims, q.data);
    const wScale = g.float(`${names.weight}_scale`, [q.scales.length], q.scales);
    const [xq, xScale, xZero] = g.op("DynamicQuantizeLinear", [x], [], 3);
    if (xq === undefined || xScale === undefined || xZero === undefined)
      throw new Error("unreachable");
    const product = g.op1("MatMulInteger", [xq, wq, xZero]);
    const asFloat = g.op1("Cast", [product], [attrInt("to", DataType.FLOAT)]);
    const scale = g.op1("Mul", [xScale, wScale]);
    return g.op1("Add", [g.op1("Mul", [asFloat, scale]), bias]);
  };

  const layerNorm = (x: string, names: { weight: string; bias: string }): string =>
    g.op1(
      "LayerNormalization",
      [x, float(names.weight), float(names.bias)],
      [attrInt("axis", -1), attrFloat("epsilon", spec.layerNormEps)],
    );

  // Embeddings: word + position + token type, then layer norm.
  let words: string;
  if (precision === "fp32") {
    words = g.op1("Gather", [float(EMBEDDING_NAMES.word), IO_NAMES.inputIds]);
  } else {
    // Gather int8 rows first, then dequantize only what was gathered.
    const q = quantizePerTensor(weight(weights, EMBEDDING_NAMES.word));
    const table = g.int8(`${EMBEDDING_NAMES.word}_quantized`, q.dims, q.data);
    const rows = g.op1("Gather", [table, IO_NAMES.inputIds]);
    const scale = g.scalar(`${EMBEDDING_NAMES.word}_scale`, q.scales[0] ?? 1);
    const zero = g.int8(`${EMBEDDING_NAMES.word}_zero_point`, [], Int8Array.of(0));
    words = g.op1("DequantizeLinear", [rows, scale, zero]);
  }
  const shape = g.op1("Shape", [IO_NAMES.inputIds]);
  const seqLen = g.op1("Gather", [shape, g.int64("const_one_index", [], [1])]);
  const positionIds = g.op1("Range", [
    g.int64("const_zero_i64", [], [0]),
    seqLen,
    g.int64("const_one_i64", [], [1]),
  ]);
  const positions = g.op1("Gather", [float(EMBEDDING_NAMES.position), positionIds]);
  const types = g.op1("Gather", [float(EMBEDDING_NAMES.tokenType), IO_NAMES.tokenTypeIds]);
  let hidden = layerNorm(
    g.op1("Add", [g.op1("Add", [words, positions]), types]),
    EMBEDDING_NAMES.norm,
  );

  // Extended attention mask [batch, 1, 1, seq]: 0 where attended, MASK_NEGATIVE where padded.
  const maskFloat = g.op1("Cast", [IO_NAMES.attentionMask], [attrInt("to", DataType.FLOAT)]);
  const inverted = g.op1("Sub", [g.scalar("const_one_f32", 1), maskFloat]);
  const additive = g.op1("Mul", [inverted, g.scalar("const_mask_negative", MASK_NEGATIVE)]);
  const extendedMask = g.op1("Unsqueeze", [additive, g.int64("const_axes_1_2", [2], [1, 2])]);

  const headsShape = g.int64("const_heads_shape", [4], [0, 0, spec.heads, headDim]);
  const mergedShape = g.int64("const_merged_shape", [3], [0, 0, spec.hidden]);
  const scoreScale = g.scalar("const_score_scale", 1 / Math.sqrt(headDim));
  const half = g.scalar("const_half", 0.5);
  const sqrt2 = g.scalar("const_sqrt2", Math.SQRT2);
  const one = "const_one_f32";

  for (let layer = 0; layer < spec.layers; layer++) {
    const n = layerNames(layer);
    const split = (x: string, perm: number[]) =>
      g.op1("Transpose", [g.op1("Reshape", [x, headsShape])], [attrInts("perm", perm)]);
    const q = split(linear(hidden, n.query), [0, 2, 1, 3]); // [b, h, s, d]
    const kT = split(linear(hidden, n.key), [0, 2, 3, 1]); // [b, h, d, s]
    const v = split(linear(hidden, n.value), [0, 2, 1, 3]); // [b, h, s, d]
    const scores = g.op1("Add", [
      g.op1("Mul", [g.op1("MatMul", [q, kT]), scoreScale]),
      extendedMask,
    ]);
    const probs = g.op1("Softmax", [scores], [attrInt("axis", -1)]);
    const context = g.op1("MatMul", [probs, v]);
    const merged = g.op1("Reshape", [
      g.op1("Transpose", [context], [attrInts("perm", [0, 2, 1, 3])]),
      mergedShape,
    ]);
    const attended = layerNorm(
      g.op1("Add", [linear(merged, n.attentionOut), hidden]),
      n.attentionNorm,
    );

    // Exact GELU, 0.5·x·(1 + erf(x/√2)), the form onnxruntime fuses into its Gelu kernel.
    const up = linear(attended, n.intermediate);
    const erf = g.op1("Erf", [g.op1("Div", [up, sqrt2])]);
    const gelu = g.op1("Mul", [g.op1("Mul", [up, half]), g.op1("Add", [erf, one])]);
    const down = linear(gelu, n.output);
    const isLast = layer === spec.layers - 1;
    const sum = g.op1("Add", [down, attended]);
    hidden = isLast
      ? g.opNamed(
          "LayerNormalization",
          [sum, float(n.outputNorm.weight), float(n.outputNorm.bias)],
          IO_NAMES.output,
          [attrInt("axis", -1), attrFloat("epsilon", spec.layerNormEps)],
        )
      : layerNorm(sum, n.outputNorm);
  }
  if (spec.layers === 0) throw new Error("a BERT encoder needs at least one layer");

  const batchSeq = ["batch_size", "sequence_length"];
  return encodeModel({
    graphName: "bert_encoder",
    builder: g,
    opset: OPSET,
    docString: `pyrite-edge test model: BERT encoder with seeded random weights (${precision}); similarities mean nothing`,
    inputs: [
      valueInfo(IO_NAMES.inputIds, DataType.INT64, batchSeq),
      valueInfo(IO_NAMES.attentionMask, DataType.INT64, batchSeq),
      valueInfo(IO_NAMES.tokenTypeIds, DataType.INT64, batchSeq),
    ],
    outputs: [valueInfo(IO_NAMES.output, DataType.FLOAT, [...batchSeq, spec.hidden])],
  });
}
