/**
 * Symmetric int8 weight quantization, the weight half of onnxruntime's dynamic quantization
 * (activations are quantized at run time by DynamicQuantizeLinear inside the graph).
 */
import type { FloatTensor } from "./weights.js";

/** An int8 tensor with the float scales that map it back: value ≈ q · scale. */
export interface Int8Tensor {
  dims: number[];
  data: Int8Array;
  scales: Float32Array;
}

function toInt8(value: number, scale: number): number {
  return Math.max(-127, Math.min(127, Math.round(value / scale)));
}

/** One scale per output column of a [in, out] MatMul weight: keeps precision per output unit. */
export function quantizePerColumn(tensor: FloatTensor): Int8Tensor {
  const [rows, cols] = tensor.dims;
  if (rows === undefined || cols === undefined || tensor.dims.length !== 2) {
    throw new Error(`quantizePerColumn expects a 2-D tensor, got [${tensor.dims.join(", ")}]`);
  }
  const scales = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const magnitude = Math.abs(tensor.data[r * cols + c] ?? 0);
      if (magnitude > (scales[c] ?? 0)) scales[c] = magnitude;
    }
  }
  // A column of zeros would divide by zero: any positive scale represents it exactly.
  for (let c = 0; c < cols; c++) scales[c] = (scales[c] ?? 0) / 127 || 1;
  const data = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      data[r * cols + c] = toInt8(tensor.data[r * cols + c] ?? 0, scales[c] ?? 1);
    }
  }
  return { dims: tensor.dims, data, scales };
}

/** One scale for the whole tensor: what an embedding table needs, since rows are gathered. */
export function quantizePerTensor(tensor: FloatTensor): Int8Tensor {
  let max = 0;
  for (const value of tensor.data) max = Math.max(max, Math.abs(value));
  const scale = max / 127 || 1;
  const data = new Int8Array(tensor.data.length);
  for (let i = 0; i < data.length; i++) data[i] = toInt8(tensor.data[i] ?? 0, scale);
  return { dims: tensor.dims, data, scales: Float32Array.of(scale) };
}
