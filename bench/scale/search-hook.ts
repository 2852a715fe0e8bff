/**
 * Where the scale bench will measure semantic search through the `VectorStore` port, against the
 * fake Vectorize binding (test/support/fake-vectorize.ts), once both are merged: after a drain,
 * with the drained system still running. Until then it measures nothing and says so, and the
 * report prints that line instead of figures.
 */
import type { ScaleSystem } from "./launch.js";

/** Search latency through the VectorStore port, or why it was not measured. */
export type SearchLatency =
  | { p50Ms: number; p95Ms: number; queries: number; store: string }
  | { skipped: string };

/** The hook: wire the VectorStore port's search here (queries over `system.url`). */
export async function measureVectorSearch(_system: ScaleSystem): Promise<SearchLatency> {
  return { skipped: "the VectorStore port and fake Vectorize are not merged in this branch yet" };
}
