/**
 * Splits items, in order, into runs of bounded total size (and count): D1 batches of statements,
 * import requests of bytes.
 */
export function chunkBySize<T>(
  items: T[],
  size: (item: T) => number,
  maxSize: number,
  maxCount = Number.POSITIVE_INFINITY,
): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let total = 0;
  for (const item of items) {
    const n = size(item);
    // An item larger than `maxSize` goes alone: a chunk always has at least one.
    if (chunk.length > 0 && (chunk.length >= maxCount || total + n > maxSize)) {
      chunks.push(chunk);
      chunk = [];
      total = 0;
    }
    chunk.push(item);
    total += n;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
