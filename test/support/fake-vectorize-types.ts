/**
 * What the fake Vectorize binding (fake-vectorize-binding.ts) reports over RPC: plain types, so
 * the Node side of the scale bench can use them without the Workers types.
 */

/** A stored vector's address, as the bench recounts it. */
export interface FakeVectorizeEntry {
  id: string;
  kb: unknown;
  entry: unknown;
  model: unknown;
  seq: unknown;
}

/** What the index holds and received, for the bench's recount. */
export interface FakeVectorizeReport {
  /** Applied vectors (what queries see). */
  vectors: FakeVectorizeEntry[];
  /** Mutations sent and not applied yet when asked. */
  pending: number;
  /** Calls by operation. */
  calls: Record<string, number>;
}

/** The index's durable state, carried over a crash of the worker (opaque to the bench). */
export interface FakeVectorizeSnapshot {
  vectors: { id: string; values: number[]; metadata?: Record<string, unknown> }[];
}
