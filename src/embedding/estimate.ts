/**
 * A migration's dry run: what it would embed (entries, passages, tokens) and how long that takes,
 * from the target model's throughput measured here, now, on a sample of the index's own entries,
 * split exactly as the worker splits them and embedded in the worker's batch size.
 */

import { estimateTokens, SPECIAL_TOKENS, tokenScale } from "../embedder/tokens";
import { type Embedder, fingerprintKey } from "../embedder/types";
import { passageInput } from "../passages/split";
import type { MigrationEstimate } from "../shared/api-types";
import type { Db } from "../storage/db";
import { migrationWork, sampleMigrationWork } from "../storage/index-models";
import { addressedPassages } from "./plan-passages";

/** Entries sampled, and the most passages embedded to measure (a few seconds on the bundled model). */
const SAMPLE_ENTRIES = 24;
const SAMPLE_PASSAGES = 48;

/** Estimates a migration of `kb` (or all) to `embedder`'s model. `clock` times from outside. */
export async function estimateMigration(
  db: Db,
  embedder: Embedder,
  opts: { kb?: string; passages: boolean; batchSize: number; clock: () => number },
): Promise<MigrationEstimate> {
  const info = await embedder.info();
  const model = fingerprintKey(info.model);
  const [work, sample] = await Promise.all([
    migrationWork(db, model, opts.kb),
    sampleMigrationWork(db, model, opts.kb, SAMPLE_ENTRIES),
  ]);
  const scale = tokenScale(info.tokensPerWord);
  let sampleBytes = 0;
  let samplePassages = 0;
  let sampleTokens = 0;
  const inputs: string[] = [];
  for (const entry of sample) {
    sampleBytes += new TextEncoder().encode(entry.title + entry.summary + entry.body).byteLength;
    const passages = await addressedPassages(entry, {
      model,
      windowTokens: info.maxTokens,
      tokensPerWord: info.tokensPerWord,
      passages: opts.passages,
    });
    samplePassages += passages.length;
    for (const passage of passages) {
      const input = passageInput(passage);
      sampleTokens += Math.min(
        info.maxTokens,
        Math.round(estimateTokens(input) / scale) + SPECIAL_TOKENS,
      );
      inputs.push(input);
    }
  }
  const measured = inputs.slice(0, SAMPLE_PASSAGES);
  let seconds = 0;
  if (measured.length > 0) {
    // The first call may load or warm the model: not part of the rate.
    await embedder.embed(measured.slice(0, 1));
    const started = opts.clock();
    for (let i = 0; i < measured.length; i += opts.batchSize) {
      await embedder.embed(measured.slice(i, i + opts.batchSize));
    }
    seconds = (opts.clock() - started) / 1000;
  }
  const perSecond = seconds > 0 ? measured.length / seconds : Number.POSITIVE_INFINITY;
  // Scaled by bytes: the sample's passages and tokens per byte, over all the bytes to embed.
  const ratio = sampleBytes > 0 ? work.bytes / sampleBytes : 0;
  const passages = Math.round(samplePassages * ratio);
  return {
    model,
    entries: work.entries,
    passages,
    tokens: Math.round(sampleTokens * ratio),
    seconds: Number.isFinite(perSecond) ? Math.round((passages / perSecond) * 10) / 10 : 0,
    sample: {
      entries: sample.length,
      passages: measured.length,
      seconds: Math.round(seconds * 1000) / 1000,
      passages_per_second: Number.isFinite(perSecond) ? Math.round(perSecond * 10) / 10 : 0,
    },
  };
}
