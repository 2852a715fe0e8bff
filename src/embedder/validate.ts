/**
 * The last gate before a vector is stored: every provider path runs its batch through here, so
 * a NaN, an infinity or a vector of the wrong length is a failure, never a row in the database.
 */
import type { EmbedOutput } from "./types.js";

/**
 * Throws an Error naming the first problem: wrong vector count, wrong length, a non-finite
 * component, or a `truncated` index that is not an input index.
 */
export function assertValidOutput(batch: EmbedOutput, expectedCount: number, dims: number): void {
  if (batch.vectors.length !== expectedCount) {
    throw new Error(`embedder returned ${batch.vectors.length} vectors for ${expectedCount} texts`);
  }
  batch.vectors.forEach((vector, index) => {
    if (vector.length !== dims) {
      throw new Error(
        `embedder returned a ${vector.length}-dimension vector for text ${index}, expected ${dims}`,
      );
    }
    for (let i = 0; i < vector.length; i++) {
      const value = vector[i];
      if (value === undefined || !Number.isFinite(value)) {
        throw new Error(
          `embedder returned a non-finite value (${value}) at component ${i} of the vector for text ${index}`,
        );
      }
    }
  });
  for (const index of batch.truncated) {
    if (!Number.isInteger(index) || index < 0 || index >= expectedCount) {
      throw new Error(
        `embedder reported truncation of text ${index}, but there are ${expectedCount} texts`,
      );
    }
  }
}
