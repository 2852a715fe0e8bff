/**
 * Cuts padded token rows to the model's window the way Hugging Face's Python tokenizers do:
 * keep the first `window - 1` tokens and end with the row's closing special token ([SEP]).
 * transformers.js 3.x truncates after adding special tokens and drops [SEP], which would give
 * vectors unlike sentence-transformers' for every long text, so the cut happens here instead.
 */

/** Row-major [batch, seq] int64 token rows: ids, attention mask and optional token types. */
export interface TokenRows {
  ids: BigInt64Array;
  mask: BigInt64Array;
  types?: BigInt64Array;
  batch: number;
  seq: number;
}

/** Rows cut to at most `window` tokens, and the indices of the rows that lost tokens. */
export function clipToWindow(
  rows: TokenRows,
  window: number,
): { rows: TokenRows; truncated: number[] } {
  if (!Number.isInteger(window) || window < 2)
    throw new Error(`token window must be an integer ≥ 2, got ${window}`);
  const { batch, seq } = rows;
  const lengths = Array.from({ length: batch }, (_, b) => {
    let length = 0;
    for (let s = 0; s < seq; s++) length += Number(rows.mask[b * seq + s] ?? 0n);
    return length;
  });
  const truncated = lengths.flatMap((length, b) => (length > window ? [b] : []));
  if (truncated.length === 0) return { rows, truncated };

  const width = Math.min(seq, window);
  const cut = (source: BigInt64Array) => {
    const out = new BigInt64Array(batch * width);
    for (let b = 0; b < batch; b++) {
      out.set(source.subarray(b * seq, b * seq + width), b * width);
      const length = lengths[b] ?? 0;
      // Right padding: a row's real tokens are its first `length`; its last one closes it.
      if (length > window) out[b * width + width - 1] = source[b * seq + length - 1] ?? 0n;
    }
    return out;
  };
  return {
    rows: {
      ids: cut(rows.ids),
      mask: cut(rows.mask),
      ...(rows.types === undefined ? {} : { types: cut(rows.types) }),
      batch,
      seq: width,
    },
    truncated,
  };
}
