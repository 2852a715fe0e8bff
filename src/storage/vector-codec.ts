/**
 * float32 little-endian bytes, the one binary form of a vector: stored as a BLOB in D1, and sent
 * by the embedder to the worker (see embedder/protocol.ts).
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes `vector` as float32 little-endian bytes into `out` from byte `at`. */
export function writeVector(vector: Float32Array, out: Uint8Array, at = 0): void {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < vector.length; i++) view.setFloat32(at + i * 4, vector[i] ?? 0, true);
}

/** Encodes a vector as float32 little-endian bytes. */
export function encodeVector(vector: Float32Array): Uint8Array {
  const bytes = new Uint8Array(vector.length * 4);
  writeVector(vector, bytes);
  return bytes;
}

/**
 * Decodes float32 little-endian bytes (any ArrayBuffer view or array of byte values) into a fresh
 * array.
 */
export function decodeVector(blob: ArrayBuffer | ArrayBufferView | number[]): Float32Array {
  const bytes =
    blob instanceof ArrayBuffer
      ? new Uint8Array(blob)
      : Array.isArray(blob)
        ? Uint8Array.from(blob)
        : new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
  const length = Math.floor(bytes.byteLength / 4);
  if (LITTLE_ENDIAN) {
    // A copy of the bytes is freshly aligned, and already the platform's float32 layout.
    return new Float32Array(bytes.slice(0, length * 4).buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(length);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

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
