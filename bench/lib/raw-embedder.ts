/**
 * The baseline: the same transformers.js embedder the server runs (same model directory, q8, same
 * threads), called directly in the bench process with no HTTP, D1, Durable Object or service
 * binding in between. The pipeline's figures are judged against this, measured in the same run.
 */
import {
  createTransformersEmbedder,
  DEFAULT_THREADS,
  type TransformersEmbedder,
} from "../../src/node/transformers-embedder.js";
import { type Summary, summarize } from "./stats.js";

/** Loads the embedder with the server's defaults (see src/node/resolve-model.ts). */
export async function loadRawEmbedder(modelDir: string): Promise<TransformersEmbedder> {
  const embedder = await createTransformersEmbedder({
    model: modelDir,
    quantized: true,
    threads: DEFAULT_THREADS,
  });
  // The first calls pay for graph optimisation and allocation: not part of steady state.
  await embedder.embed(["warm up"]);
  await embedder.embed(Array.from({ length: 4 }, (_, i) => `warm up the embedder ${i}`));
  return embedder;
}

/** Throughput over `texts` in sequential batches of `batchSize`. */
export async function rawThroughput(
  embedder: TransformersEmbedder,
  texts: readonly string[],
  batchSize: number,
): Promise<{ textsPerSec: number; seconds: number; texts: number }> {
  const started = performance.now();
  for (let i = 0; i < texts.length; i += batchSize) {
    await embedder.embed(texts.slice(i, i + batchSize));
  }
  const seconds = (performance.now() - started) / 1000;
  return { textsPerSec: texts.length / seconds, seconds, texts: texts.length };
}

/** Latency of embedding one text at a time. */
export async function rawSingleLatency(
  embedder: TransformersEmbedder,
  texts: readonly string[],
): Promise<Summary> {
  const samples: number[] = [];
  for (const text of texts) {
    const started = performance.now();
    await embedder.embed([text]);
    samples.push(performance.now() - started);
  }
  return summarize(samples);
}
