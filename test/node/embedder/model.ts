/**
 * The tiny generated test model, generated on first use (idempotent: a current model is reused,
 * and concurrent test files race safely through the generator's rename).
 */
import { generateTestModel } from "../../../scripts/model/generate.js";

let pending: Promise<string> | undefined;

/** Directory of the tiny model (Hub layout). */
export function tinyModelDir(): Promise<string> {
  pending ??= generateTestModel({ size: "tiny" }).then((result) => result.dir);
  return pending;
}

/** Cosine similarity of two vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

/** Largest absolute component difference. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

/** Euclidean norm. */
export function norm(v: Float32Array): number {
  let sum = 0;
  for (const x of v) sum += x * x;
  return Math.sqrt(sum);
}

/** `count` distinct words, for long texts. */
export function words(count: number, seed = 0): string {
  const pool = [
    "river",
    "mountain",
    "library",
    "quiet",
    "engine",
    "garden",
    "signal",
    "copper",
    "winter",
    "harbor",
  ];
  return Array.from({ length: count }, (_, i) => pool[(i * 7 + seed) % pool.length] ?? "word").join(
    " ",
  );
}
