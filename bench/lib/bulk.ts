/** Loading many entries fast, through the real write path: `POST /api/entries/batch`. */
import { ok } from "../../src/contract/client.js";
import type { BenchClient } from "./client.js";
import type { BenchEntry } from "./corpus.js";

/** Most entries one batch request carries (the API's limit is 500). */
export const BULK_CHUNK = 500;

/**
 * Creates `count` entries produced by `make(i)` in KB `kb`, `BULK_CHUNK` per request, two
 * requests in flight (one is being built while the other is written). Returns entries/s.
 */
export async function bulkCreate(
  api: BenchClient,
  kb: string,
  count: number,
  make: (index: number) => BenchEntry,
  offset = 0,
): Promise<{ seconds: number; entriesPerSec: number }> {
  const started = performance.now();
  let inFlight: Promise<unknown> = Promise.resolve();
  for (let start = 0; start < count; start += BULK_CHUNK) {
    const entries = [];
    for (let i = start; i < Math.min(count, start + BULK_CHUNK); i++)
      entries.push(make(offset + i));
    await inFlight;
    inFlight = ok(api.http.api.entries.batch.$post({ json: { kb, mode: "create", entries } }));
  }
  await inFlight;
  const seconds = (performance.now() - started) / 1000;
  return { seconds, entriesPerSec: count / seconds };
}
