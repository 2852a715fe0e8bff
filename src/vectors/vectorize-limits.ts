/**
 * The documented limits of a Cloudflare Vectorize (V2) index called from a Worker: the Vectorize
 * store keeps to them, and the fake binding of the tests enforces them.
 */

/** Documented limits of a Vectorize index called from a Worker. */
export const VECTORIZE_LIMITS = {
  /** Vectors per `upsert`/`insert`, and ids per `deleteByIds`, from a Worker. */
  vectorsPerMutation: 1000,
  /** `topK` with `returnValues: false` and `returnMetadata` `"none"` or `"indexed"`. */
  topK: 100,
  /** `topK` with `returnValues: true` or `returnMetadata: "all"`. */
  topKWithValuesOrAllMetadata: 20,
  /** Bytes of a vector id. */
  idBytes: 64,
  dimensions: 1536,
  /** Bytes of a string metadata value that an index keeps (and `"indexed"` returns). */
  indexedStringBytes: 64,
  /** Bytes of one vector's metadata (as JSON). */
  metadataBytes: 10 * 1024,
} as const;
