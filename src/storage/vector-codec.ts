/** float32 little-endian BLOBs, the stored form of a vector. */

/** Encodes a vector as float32 little-endian bytes. */
export function encodeVector(vector: Float32Array): Uint8Array {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i] ?? 0, true);
  return bytes;
}

/** Decodes float32 little-endian bytes (any ArrayBuffer view or array of byte values). */
export function decodeVector(blob: ArrayBuffer | ArrayBufferView | number[]): Float32Array {
  const bytes =
    blob instanceof ArrayBuffer
      ? new Uint8Array(blob)
      : Array.isArray(blob)
        ? Uint8Array.from(blob)
        : new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(Math.floor(bytes.byteLength / 4));
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
