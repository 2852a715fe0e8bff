/** A small seeded PRNG (mulberry32): the bench's corpora and operation mixes are reproducible. */

// The same generator as the test model's weights: one implementation of mulberry32.
export { mulberry32 } from "../../scripts/model/prng.js";

/** Mixes two integers into a seed, so entry `i` of corpus `seed` is the same in every run. */
export function mixSeed(seed: number, i: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.imul(h, 0x27d4eb2f) >>> 0;
}
