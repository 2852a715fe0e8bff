/**
 * Deterministic entries for the bench: markdown-ish prose of a chosen length, the same for a given
 * (seed, index) in every run, so runs and machines compare like with like.
 */
import { mixSeed, mulberry32 } from "./prng.js";
import { WORDS } from "./words.js";

/** An entry as `POST /api/entries` takes it (kb added by the caller). */
export interface BenchEntry {
  id: string;
  title: string;
  summary: string;
  body: string;
  tags: string[];
}

/** Cumulative Zipf-like weights (exponent 0.9) over {@link WORDS}. */
const CUMULATIVE = (() => {
  const weights = WORDS.map((_, rank) => 1 / (rank + 1) ** 0.9);
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  return weights.map((w) => {
    sum += w / total;
    return sum;
  });
})();

function pickWord(random: () => number): string {
  const r = random();
  let low = 0;
  let high = CUMULATIVE.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((CUMULATIVE[mid] ?? 1) < r) low = mid + 1;
    else high = mid;
  }
  return WORDS[low] ?? "note";
}

/** Uniform pick (for titles and queries, which should not be dominated by stop words). */
function pickUniform(random: () => number, from = 40): string {
  return WORDS[from + Math.floor(random() * (WORDS.length - from))] ?? "note";
}

/** `count` words of prose: sentences of 6–18 words, paragraphs of 3–6 sentences. */
export function prose(random: () => number, count: number): string {
  const paragraphs: string[] = [];
  let sentences: string[] = [];
  let left = count;
  while (left > 0) {
    const length = Math.min(left, 6 + Math.floor(random() * 13));
    const words = Array.from({ length }, () => pickWord(random));
    const first = words[0] ?? "note";
    words[0] = first.charAt(0).toUpperCase() + first.slice(1);
    sentences.push(`${words.join(" ")}.`);
    left -= length;
    if (sentences.length >= 3 + Math.floor(random() * 4)) {
      paragraphs.push(sentences.join(" "));
      sentences = [];
    }
  }
  if (sentences.length > 0) paragraphs.push(sentences.join(" "));
  return paragraphs.join("\n\n");
}

/** Entry `index` of corpus `seed`, with a body of about `bodyWords` words. */
export function makeEntry(
  seed: number,
  index: number,
  bodyWords: number,
  prefix = "e",
): BenchEntry {
  const random = mulberry32(mixSeed(seed, index));
  const titleWords = Array.from({ length: 3 + Math.floor(random() * 4) }, () =>
    pickUniform(random),
  );
  return {
    id: `${prefix}${index}`,
    title: `${titleWords.join(" ")} ${index}`,
    summary: prose(random, 12),
    body: prose(random, bodyWords),
    tags: [pickUniform(random), pickUniform(random)],
  };
}

/** A changed version of an entry (new body, same id and title), for updates. */
export function revise(entry: BenchEntry, seed: number, revision: number, bodyWords: number) {
  const random = mulberry32(mixSeed(seed ^ 0x5bd1e995, revision));
  return { ...entry, body: prose(random, bodyWords) };
}

/** `count` search queries of 1–3 content words. */
export function makeQueries(seed: number, count: number): string[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + Math.floor(random() * 3) }, () => pickUniform(random)).join(" "),
  );
}
