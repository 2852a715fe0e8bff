/**
 * Stores ready-made vectors for entries straight into the stopped server's D1 database (through
 * the helper worker of d1-direct.ts): random unit vectors (their similarities mean nothing, but a
 * search scans them exactly as it would real ones), tagged with the active model's fingerprint and
 * written with the entry's current content hash, and their queue rows marked `done` with that
 * model: the state the worker itself leaves behind. Used where embedding 100k texts for real
 * would take over half an hour on this machine.
 */
import { encodeVector } from "../../src/storage/vector-codec.js";
import { withDirectD1 } from "./d1-direct.js";
import { mulberry32 } from "./prng.js";

/** Entries per request to the helper worker (two statements each, one D1 batch). */
const ROWS_PER_REQUEST = 1000;

/** A random vector of `dims` components, unit length (Gaussian components, normalized). */
export function randomUnitVector(random: () => number, dims: number): Float32Array {
  const vector = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    // Box–Muller; 1 − u keeps log away from 0.
    const value = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    vector[i] = value;
    norm += value * value;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dims; i++) vector[i] = (vector[i] ?? 0) * scale;
  return vector;
}

/** The helper worker's request body: length-prefixed JSON, then the float32 vectors. */
function requestBody(meta: object, vectors: Uint8Array[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(meta));
  const size = vectors.reduce((total, v) => total + v.byteLength, 0);
  const body = new Uint8Array(4 + json.byteLength + size);
  new DataView(body.buffer).setUint32(0, json.byteLength, true);
  body.set(json, 4);
  let offset = 4 + json.byteLength;
  for (const vector of vectors) {
    body.set(vector, offset);
    offset += vector.byteLength;
  }
  return body;
}

/**
 * Writes vectors for entries `ids` of `kb` (fingerprint `model`, `dims` dimensions) and marks
 * their queue rows done. The server must be stopped.
 */
export async function seedVectors(options: {
  stateDir: string;
  kb: string;
  ids: readonly string[];
  model: string;
  dims: number;
  seed: number;
  /** Passages per entry (each its own random vector); 1 when absent. */
  passages?: number;
}): Promise<{ written: number; seconds: number }> {
  const { kb, ids, model, dims } = options;
  const random = mulberry32(options.seed);
  const started = performance.now();
  const written = await withDirectD1(options.stateDir, async ({ fetch }) => {
    let count = 0;
    const base = Date.now();
    for (let start = 0; start < ids.length; start += ROWS_PER_REQUEST) {
      const chunk = ids.slice(start, start + ROWS_PER_REQUEST);
      const passages = options.passages ?? 1;
      const vectors = Array.from({ length: chunk.length * passages }, () =>
        encodeVector(randomUnitVector(random, dims)),
      );
      // Distinct embedding times, as the worker's batches would leave them.
      const body = requestBody(
        { kb, ids: chunk, model, dims, base: base + start, passages },
        vectors,
      );
      const response = await fetch("/vectors", { method: "POST", body });
      const text = await response.text();
      if (!response.ok) throw new Error(`seeding vectors failed: ${response.status} ${text}`);
      const result: unknown = JSON.parse(text);
      if (typeof result === "object" && result !== null && "written" in result) {
        count += Number(result.written);
      }
    }
    return count;
  });
  if (written !== ids.length) {
    throw new Error(`seeded ${written} vectors for ${ids.length} entries (some entries missing?)`);
  }
  return { written, seconds: (performance.now() - started) / 1000 };
}
