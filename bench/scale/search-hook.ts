/**
 * Semantic search through the `VectorStore` port against the fake Vectorize binding
 * (test/support/fake-vectorize-binding.ts), after a drain, with the drained system still running:
 * `QUERIES` queries one at a time over HTTP, each embedded by the fake Workers AI (made instant
 * first, so the figures are the worker's search path and the index's query, not the simulated
 * embedding latency), answered by `VectorizeStore.query` and the worker's ranking.
 */
import { BenchClient, timed } from "../lib/client.js";
import { makeQueries } from "../lib/corpus.js";
import { summarize } from "../lib/stats.js";
import type { ScaleSystem } from "./launch.js";

/** Queries measured (after one warm-up). */
const QUERIES = 40;
const LIMIT = "10";

/** Search latency through the VectorStore port. */
export interface SearchLatency {
  p50Ms: number;
  p95Ms: number;
  queries: number;
  /** Queries that found at least one passage (a semantic query over a non-empty index should). */
  answered: number;
  store: string;
}

/** Measures semantic search over `system.url`; throws if a query fails. */
export async function measureVectorSearch(system: ScaleSystem): Promise<SearchLatency> {
  await system.fake.configure({ latencyMs: 0 });
  const api = new BenchClient(system.url);
  const search = async (q: string) => {
    const answer = await timed(
      api.http.api.search.$get({ query: { q, mode: "semantic", limit: LIMIT } }),
    );
    if (answer.error) throw new Error(`semantic search failed: ${answer.error.message}`);
    return { ms: answer.ms, hits: answer.body.results.length };
  };
  const [warmUp = "note", ...queries] = makeQueries(16, QUERIES + 1);
  await search(warmUp);
  const samples: number[] = [];
  let answered = 0;
  for (const q of queries) {
    const { ms, hits } = await search(q);
    samples.push(ms);
    if (hits > 0) answered++;
  }
  api.close();
  const summary = summarize(samples);
  return {
    p50Ms: summary.p50,
    p95Ms: summary.p95,
    queries: samples.length,
    answered,
    store: "VectorizeStore over the fake Vectorize binding",
  };
}
