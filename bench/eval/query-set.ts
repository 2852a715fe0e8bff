/**
 * The evaluation's query set (`bench/eval/queries.json`): hand-written queries over KBs of the
 * pyrite-kb-demo corpus, each with graded relevant entries, where its answer was found, whether
 * that is deep in the note, and its split. Loaded and checked here so a malformed set stops the
 * run before a server starts.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { PROJECT_ROOT } from "../lib/paths.js";

/** Where the query set lives. */
export const QUERY_SET_PATH = join(PROJECT_ROOT, "bench", "eval", "queries.json");

const key = z.string().regex(/^[a-z0-9][a-z0-9_-]*\/[A-Za-z0-9._-]+$/, "a key is kb/id");

const querySchema = z.object({
  id: z.string().min(1),
  query: z.string().min(1),
  relevant: z.record(key, z.number().int().min(1).max(2)),
  answer: z.object({
    entry: key,
    offset: z.number().int().min(0),
    evidence: z.string().min(8),
  }),
  deep: z.boolean(),
  split: z.enum(["tune", "heldout"]),
});

const setSchema = z.object({
  about: z.string(),
  corpus: z.string(),
  kbs: z.array(z.string().min(1)).min(1),
  deepFrom: z.number().int().min(1),
  queries: z.array(querySchema).min(1),
});

/** One query. */
export type EvalQuery = z.infer<typeof querySchema>;
/** The whole set. */
export type QuerySet = z.infer<typeof setSchema>;

/** The KB of a `kb/id` key. */
export const kbOf = (k: string): string => k.slice(0, k.indexOf("/"));

/**
 * Checks what the schema cannot: ids unique, every relevant entry in a listed KB, the answer
 * entry judged grade 2, and `deep` agreeing with the offset. Returns the problems found.
 */
export function querySetProblems(set: QuerySet): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const q of set.queries) {
    if (ids.has(q.id)) problems.push(`${q.id}: duplicate id`);
    ids.add(q.id);
    for (const k of Object.keys(q.relevant)) {
      if (!set.kbs.includes(kbOf(k))) problems.push(`${q.id}: ${k} is not in a listed KB`);
    }
    if (q.relevant[q.answer.entry] !== 2) {
      problems.push(`${q.id}: the answer entry ${q.answer.entry} must be relevant with grade 2`);
    }
    if (q.deep !== q.answer.offset >= set.deepFrom) {
      problems.push(`${q.id}: deep is ${q.deep} but the answer is at ${q.answer.offset}`);
    }
  }
  return problems;
}

/** Parses and checks a query set; throws with every problem listed. */
export function parseQuerySet(json: unknown): QuerySet {
  const set = setSchema.parse(json);
  const problems = querySetProblems(set);
  if (problems.length > 0) throw new Error(`query set is invalid:\n${problems.join("\n")}`);
  return set;
}

/** Reads {@link QUERY_SET_PATH} (or `path`). */
export async function loadQuerySet(path = QUERY_SET_PATH): Promise<QuerySet> {
  return parseQuerySet(JSON.parse(await readFile(path, "utf8")));
}

/**
 * The smoke-run subset: only the queries whose relevant entries all lie in `kbs`, at most `max`
 * of them, taken evenly through the set so both splits and both depths stay represented.
 */
export function quickSubset(set: QuerySet, kbs: readonly string[], max: number): QuerySet {
  const inside = set.queries.filter((q) =>
    Object.keys(q.relevant).every((k) => kbs.includes(kbOf(k))),
  );
  const step = Math.max(1, inside.length / max);
  const picked = Array.from(
    { length: Math.min(max, inside.length) },
    (_, i) => inside[Math.floor(i * step)],
  ).filter((q): q is EvalQuery => q !== undefined);
  return { ...set, kbs: [...kbs], queries: picked };
}

/** Words too common to count as shared with a title. */
const STOP_WORDS = new Set(
  "the and for with from that this what how why who its his her their are was not vs".split(" "),
);

const contentWords = (text: string) =>
  text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 2 && !STOP_WORDS.has(w));

/** Whether `query` shares a content word (3+ letters, not a stop word) with `title`. */
export function sharesTitleWords(query: string, title: string): boolean {
  const words = new Set(contentWords(title));
  return contentWords(query).some((w) => words.has(w));
}
