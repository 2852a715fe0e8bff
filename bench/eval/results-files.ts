/**
 * Where `npm run eval` keeps its results: `<name>.json` (figures, readable, quoted by the README)
 * and `<name>-lists.json` (every query's keyword and semantic lists with their scores, per run:
 * what the offline fusion sweeps are computed from, and recomputed by `--render`). The lists name
 * each entry by its index in one table of keys, which keeps that file small.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RESULTS_DIR } from "../lib/paths.js";
import type { EvalResults } from "./report.js";
import type { QueryRankings } from "./searches.js";

const listsPath = (name: string) => join(RESULTS_DIR, `${name}-lists.json`);

/** One query's lists with keys as indexes into {@link ListsFile.keys}. */
interface IndexedRankings {
  id: string;
  top: { keyword: number[]; semantic: number[]; hybrid: number[] };
  deep: { keyword: number[]; semantic: number[] };
  deepScores: QueryRankings["deepScores"];
}

/** The lists file: the key table, and per run (in `runs` order) its queries' lists or null. */
interface ListsFile {
  keys: string[];
  runs: (IndexedRankings[] | null)[];
}

function encode(runs: (QueryRankings[] | null)[]): ListsFile {
  const keys: string[] = [];
  const index = new Map<string, number>();
  const of = (list: string[]) =>
    list.map((key) => {
      let at = index.get(key);
      if (at === undefined) {
        at = keys.push(key) - 1;
        index.set(key, at);
      }
      return at;
    });
  return {
    keys,
    runs: runs.map(
      (rankings) =>
        rankings?.map((r) => ({
          id: r.id,
          top: {
            keyword: of(r.top.keyword),
            semantic: of(r.top.semantic),
            hybrid: of(r.top.hybrid),
          },
          deep: { keyword: of(r.deep.keyword), semantic: of(r.deep.semantic) },
          deepScores: r.deepScores,
        })) ?? null,
    ),
  };
}

function decode(file: ListsFile): (QueryRankings[] | null)[] {
  const of = (list: number[]) =>
    list.map((at) => {
      const key = file.keys[at];
      if (key === undefined) throw new Error(`eval lists: no key ${at}`);
      return key;
    });
  return file.runs.map(
    (rankings) =>
      rankings?.map((r) => ({
        id: r.id,
        top: { keyword: of(r.top.keyword), semantic: of(r.top.semantic), hybrid: of(r.top.hybrid) },
        deep: { keyword: of(r.deep.keyword), semantic: of(r.deep.semantic) },
        deepScores: r.deepScores,
      })) ?? null,
  );
}

/** Writes the figures and, apart, the lists. */
export async function saveResults(name: string, results: EvalResults): Promise<void> {
  const lists = results.runs.map((run) => ("rankings" in run ? (run.rankings ?? null) : null));
  const figures: EvalResults = {
    ...results,
    runs: results.runs.map((run) => {
      if (!("rankings" in run)) return run;
      const { rankings: _lists, ...rest } = run;
      return rest;
    }),
  };
  await writeFile(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
  await writeFile(listsPath(name), `${JSON.stringify(encode(lists))}\n`);
}

/** Reads what {@link saveResults} wrote, the lists back on their runs (when they were kept). */
export async function loadResults(name: string): Promise<EvalResults> {
  const results = JSON.parse(
    await readFile(join(RESULTS_DIR, `${name}.json`), "utf8"),
  ) as EvalResults;
  let lists: (QueryRankings[] | null)[] = [];
  try {
    lists = decode(JSON.parse(await readFile(listsPath(name), "utf8")) as ListsFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  for (const [i, run] of results.runs.entries()) {
    const rankings = lists[i];
    if ("groups" in run && rankings) run.rankings = rankings;
  }
  return results;
}
