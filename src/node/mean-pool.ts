/**
 * Sentence vectors from token vectors: mean over the tokens the attention mask keeps, then L2
 * normalization (what sentence-transformers does for all-MiniLM-L6-v2). Explicit here rather
 * than inside transformers.js so padding provably does not leak into a text's vector.
 */

/**
 * Pools `hidden` ([batch, seq, dims], row-major) over `mask` ([batch, seq], 1 = real token) into
 * `batch` unit vectors. A row with no real tokens yields NaNs, which validation then rejects.
 */
export function meanPoolNormalize(
  hidden: Float32Array,
  shape: readonly [number, number, number],
  mask: ArrayLike<bigint | number>,
): Float32Array[] {
  const [batch, seq, dims] = shape;
  if (hidden.length !== batch * seq * dims)
    throw new Error(`hidden state has ${hidden.length} values, shape says ${batch}×${seq}×${dims}`);
  if (mask.length !== batch * seq)
    throw new Error(`attention mask has ${mask.length} values, expected ${batch}×${seq}`);
  const vectors: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    // Accumulate in float64: a 512-token sum in float32 loses digits the 1e-4 checks can see.
    const sum = new Float64Array(dims);
    let tokens = 0;
    for (let s = 0; s < seq; s++) {
      if (Number(mask[b * seq + s] ?? 0) === 0) continue;
      tokens++;
      const offset = (b * seq + s) * dims;
      for (let d = 0; d < dims; d++) sum[d] = (sum[d] ?? 0) + (hidden[offset + d] ?? 0);
    }
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      const mean = (sum[d] ?? 0) / tokens;
      sum[d] = mean;
      norm += mean * mean;
    }
    norm = Math.sqrt(norm);
    vectors.push(Float32Array.from(sum, (value) => value / norm));
  }
  return vectors;
}
