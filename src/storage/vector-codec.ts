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

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const HEX_DIGITS = (() => {
  const table = new Uint8Array(128);
  for (let i = 0; i < 10; i++) table[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    table[65 + i] = 10 + i;
    table[97 + i] = 10 + i;
  }
  return table;
})();

/**
 * Decodes a vector read as SQLite's `hex(vector)`. D1 hands a BLOB column to JavaScript as an
 * array of numbers, one per byte (≈7× slower to read than its hex text at 2000 vectors a page).
 */
export function decodeVectorHex(hex: string): Float32Array {
  const bytes = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < bytes.length; i++) {
    const high = HEX_DIGITS[hex.charCodeAt(2 * i)] ?? 0;
    const low = HEX_DIGITS[hex.charCodeAt(2 * i + 1)] ?? 0;
    bytes[i] = (high << 4) | low;
  }
  // The bytes are already little-endian float32 and freshly aligned: view them as they are.
  return LITTLE_ENDIAN && bytes.byteLength % 4 === 0
    ? new Float32Array(bytes.buffer)
    : decodeVector(bytes);
}
