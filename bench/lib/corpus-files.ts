/** Helpers of the real-corpus scenario: the corpus's size on disk, reasons counted, samples. */
import { stat } from "node:fs/promises";
import { listMarkdownFiles } from "../../src/import/read-kb.js";
import { mulberry32 } from "./prng.js";

/** Bytes of the markdown files the importer reads under `dirs` (KB folders). */
export async function corpusBytes(dirs: string[]): Promise<number> {
  let bytes = 0;
  for (const dir of dirs) {
    for (const file of await listMarkdownFiles(dir)) bytes += (await stat(file)).size;
  }
  return bytes;
}

/**
 * Counts messages by kind: paths, quoted values and numbers masked, so "the body is 1266503
 * bytes" and "the body is 900000 bytes" count as one reason.
 */
export function groupReasons(messages: string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const message of messages) {
    const kind = message
      .replace(/(?:^|\s)\/\S+/g, " <path>")
      .replace(/'[^']*'/g, "'…'")
      .replace(/\d+/g, "N")
      .trim();
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return Object.fromEntries([...counts.entries()].sort((a, b) => b[1] - a[1]));
}

/** `count` distinct indexes below `length`, seeded (all of them, shuffled, if fewer). */
export function sampleIndexes(length: number, count: number, seed: number): number[] {
  const random = mulberry32(seed);
  const indexes = Array.from({ length }, (_, i) => i);
  const take = Math.min(count, length);
  // A partial Fisher–Yates: the first `take` places are a uniform sample.
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (length - i));
    const a = indexes[i] ?? i;
    indexes[i] = indexes[j] ?? j;
    indexes[j] = a;
  }
  return indexes.slice(0, take);
}
