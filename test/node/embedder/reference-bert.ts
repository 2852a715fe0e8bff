/**
 * An independent BERT forward pass in plain TypeScript (float64), over the weights read back
 * from an ONNX file: if it agrees with onnxruntime, the generated graph computes BERT.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeModel } from "../../../scripts/model/onnx-builder.js";
import { EMBEDDING_NAMES, layerNames } from "../../../scripts/model/weights.js";

interface Config {
  hidden: number;
  heads: number;
  layers: number;
  eps: number;
}

/** Weights by initializer name (float32 initializers only) plus the config. */
export interface ReferenceModel {
  config: Config;
  weights: Map<string, Float32Array>;
}

/** Reads config.json and the float32 initializers of onnx/model.onnx. */
export async function loadReferenceModel(dir: string): Promise<ReferenceModel> {
  const raw: unknown = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
  const record = raw as Record<string, number>;
  const config = {
    hidden: Number(record.hidden_size),
    heads: Number(record.num_attention_heads),
    layers: Number(record.num_hidden_layers),
    eps: Number(record.layer_norm_eps),
  };
  const model = decodeModel(await readFile(join(dir, "onnx", "model.onnx")));
  const weights = new Map<string, Float32Array>();
  for (const tensor of model.graph?.initializer ?? []) {
    if (tensor.dataType !== 1 || !tensor.rawData) continue;
    // Copy: protobuf hands out views into the file buffer at arbitrary (unaligned) offsets.
    weights.set(tensor.name ?? "", new Float32Array(new Uint8Array(tensor.rawData).buffer));
  }
  return { config, weights };
}

type Matrix = Float64Array[]; // rows

function get(model: ReferenceModel, name: string): Float32Array {
  const w = model.weights.get(name);
  if (!w) throw new Error(`reference: missing ${name}`);
  return w;
}

/** x [rows, in] · W [in, out] + b. */
function linear(x: Matrix, w: Float32Array, b: Float32Array): Matrix {
  const out = b.length;
  const inDim = w.length / out;
  return x.map((row) => {
    const y = Float64Array.from(b);
    for (let i = 0; i < inDim; i++) {
      const xi = row[i] ?? 0;
      for (let o = 0; o < out; o++) y[o] = (y[o] ?? 0) + xi * (w[i * out + o] ?? 0);
    }
    return y;
  });
}

function layerNorm(x: Matrix, gamma: Float32Array, beta: Float32Array, eps: number): Matrix {
  return x.map((row) => {
    const n = row.length;
    const mean = row.reduce((a, v) => a + v, 0) / n;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    const scale = 1 / Math.sqrt(variance + eps);
    return row.map((v, i) => (v - mean) * scale * (gamma[i] ?? 0) + (beta[i] ?? 0));
  });
}

function add(a: Matrix, b: Matrix): Matrix {
  return a.map((row, r) => row.map((v, i) => v + (b[r]?.[i] ?? 0)));
}

/** erf through Numerical Recipes' erfc fit (|error| < 1.2e-7): exact enough for 1e-4 after every layer. */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

/** last_hidden_state [seq, hidden] for one unpadded sequence. */
export function referenceForward(model: ReferenceModel, ids: number[], typeIds: number[]): Matrix {
  const { hidden, heads, layers, eps } = model.config;
  const headDim = hidden / heads;
  const word = get(model, EMBEDDING_NAMES.word);
  const position = get(model, EMBEDDING_NAMES.position);
  const tokenType = get(model, EMBEDDING_NAMES.tokenType);
  let x: Matrix = ids.map((id, s) => {
    const row = new Float64Array(hidden);
    const type = typeIds[s] ?? 0;
    for (let h = 0; h < hidden; h++) {
      row[h] =
        (word[id * hidden + h] ?? 0) +
        (position[s * hidden + h] ?? 0) +
        (tokenType[type * hidden + h] ?? 0);
    }
    return row;
  });
  x = layerNorm(
    x,
    get(model, EMBEDDING_NAMES.norm.weight),
    get(model, EMBEDDING_NAMES.norm.bias),
    eps,
  );

  for (let l = 0; l < layers; l++) {
    const n = layerNames(l);
    const q = linear(x, get(model, n.query.weight), get(model, n.query.bias));
    const k = linear(x, get(model, n.key.weight), get(model, n.key.bias));
    const v = linear(x, get(model, n.value.weight), get(model, n.value.bias));
    const context: Matrix = x.map(() => new Float64Array(hidden));
    for (let h = 0; h < heads; h++) {
      const off = h * headDim;
      for (let i = 0; i < x.length; i++) {
        const scores = x.map((_, j) => {
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += (q[i]?.[off + d] ?? 0) * (k[j]?.[off + d] ?? 0);
          return dot / Math.sqrt(headDim);
        });
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, b) => a + b, 0);
        const row = context[i];
        if (!row) continue;
        exps.forEach((e, j) => {
          for (let d = 0; d < headDim; d++)
            row[off + d] = (row[off + d] ?? 0) + (e / total) * (v[j]?.[off + d] ?? 0);
        });
      }
    }
    const attended = layerNorm(
      add(linear(context, get(model, n.attentionOut.weight), get(model, n.attentionOut.bias)), x),
      get(model, n.attentionNorm.weight),
      get(model, n.attentionNorm.bias),
      eps,
    );
    const up = linear(attended, get(model, n.intermediate.weight), get(model, n.intermediate.bias));
    const gelu = up.map((row) => row.map((u) => 0.5 * u * (1 + erf(u / Math.SQRT2))));
    const down = linear(gelu, get(model, n.output.weight), get(model, n.output.bias));
    x = layerNorm(
      add(down, attended),
      get(model, n.outputNorm.weight),
      get(model, n.outputNorm.bias),
      eps,
    );
  }
  return x;
}
