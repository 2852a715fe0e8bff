/**
 * `npm run eval [-- --model auto|hash|test|minilm|<PYRITE_MODEL>[,...]] [-- --passages on|off[,...]]
 * [-- --set KEY=VALUE ...] [-- --quick] [-- --corpus DIR] [-- --drain-timeout SECONDS]`
 * (`-- --render` rewrites the markdown from the last run's JSON, measuring nothing):
 * measures retrieval quality against the real server. One server per (model, passages) pair, each
 * on a fresh state directory, the eval KBs imported and embedded, every query of
 * `bench/eval/queries.json` searched in keyword, semantic and hybrid mode; writes
 * `bench/results/eval.json` and `eval.md` (`eval-quick.*` with `--quick`, a smoke run on a subset).
 */
import { writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_HYBRID_SEMANTIC_WEIGHT } from "../../src/config.js";
import { bundleWorker } from "../../src/server/bundle.js";
import { machineInfo } from "../lib/machine.js";
import { PROJECT_ROOT, RESULTS_DIR } from "../lib/paths.js";
import {
  loadQuerySet,
  QUERY_SET_PATH,
  type QuerySet,
  quickSubset,
  sharesTitleWords,
} from "./query-set.js";
import {
  compareRuns,
  type EvalResults,
  type EvalRun,
  type FailedRun,
  type ObservedSettings,
  observe,
  renderEval,
  runTargets,
} from "./report.js";
import { loadResults, saveResults } from "./results-files.js";
import { scoreFusion, scoreGroups, scoreQueries } from "./scores.js";
import { runSearches } from "./searches.js";
import { openSession, type RunSettings } from "./session.js";

/** The corpus folder when neither `--corpus` nor PYRITE_EVAL_CORPUS names one. */
const DEFAULT_CORPUS = "/work/shared/corpus/pyrite-kb-demo";
/** The smoke run's KBs (the two of shortest notes) and query count. */
const QUICK = { kbs: ["goldratt", "reinertsen"], queries: 16 };

const started = performance.now();
const log = (line: string) => {
  const s = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[eval ${s}s] ${line}\n`);
};

const list = (values: string[] | undefined): string[] =>
  (values ?? [])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);

function parseSettings(): {
  render: boolean;
  runs: RunSettings[];
  quick: boolean;
  corpus: string;
  drainTimeoutMs: number;
  keepState: boolean;
} {
  const { values } = parseArgs({
    options: {
      model: { type: "string", multiple: true },
      passages: { type: "string", multiple: true },
      set: { type: "string", multiple: true },
      quick: { type: "boolean", default: false },
      corpus: { type: "string" },
      "drain-timeout": { type: "string" },
      render: { type: "boolean", default: false },
      "keep-state": { type: "boolean", default: false },
    },
  });
  const models = list(values.model);
  const passages = list(values.passages);
  for (const p of passages) {
    if (p !== "on" && p !== "off") throw new Error(`--passages takes on or off, not ${p}`);
  }
  const set: Record<string, string> = {};
  for (const pair of values.set ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`--set takes KEY=VALUE, not ${pair}`);
    set[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const timeout = Number(values["drain-timeout"] ?? (values.quick ? 300 : 1800));
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Error("--drain-timeout takes seconds");
  const runs = (models.length > 0 ? models : ["auto"]).flatMap((model) =>
    (passages.length > 0 ? passages : [undefined]).map(
      (p): RunSettings => ({ model, ...(p === "on" || p === "off" ? { passages: p } : {}), set }),
    ),
  );
  return {
    render: values.render,
    runs,
    quick: values.quick,
    corpus: values.corpus ?? process.env.PYRITE_EVAL_CORPUS ?? DEFAULT_CORPUS,
    drainTimeoutMs: timeout * 1000,
    keepState: values["keep-state"],
  };
}

/**
 * The semantic weight a run's hybrid ran with: its setting, or the server's default; 0 when the
 * server's embedder is not semantic (hybrid is then keyword search).
 */
function serverWeight(vars: Record<string, string>, observed: ObservedSettings): number {
  if (!observed.semantic) return 0;
  return Number(vars.HYBRID_SEMANTIC_WEIGHT ?? DEFAULT_HYBRID_SEMANTIC_WEIGHT);
}

async function measure(
  settings: RunSettings,
  set: QuerySet,
  corpus: string,
  drainTimeoutMs: number,
  keepState: boolean,
) {
  const session = await openSession({
    settings,
    set,
    corpusDir: corpus,
    drainTimeoutMs,
    log,
    keepState,
  });
  try {
    log(`searching ${set.queries.length} queries`);
    const { rankings, facts } = await runSearches(session.api, set.queries);
    const groups = scoreGroups(set.queries, rankings);
    const observed = observe(session.facts);
    const run: EvalRun = {
      settings,
      vars: session.vars,
      observed,
      import: session.facts.import,
      drain: {
        ...session.facts.drain,
        done: session.facts.status.done,
        failed: session.facts.status.failed,
        truncated: session.facts.status.truncated,
      },
      searchFacts: facts,
      groups,
      fusion: scoreFusion(set.queries, rankings, serverWeight(session.vars, observed)),
      targets: runTargets(groups),
      queries: scoreQueries(set.queries, rankings),
      rankings,
    };
    const all = groups.find((g) => g.group === "all")?.modes;
    log(
      `nDCG@10 keyword ${all?.keyword.ndcg} semantic ${all?.semantic.ndcg} hybrid ${all?.hybrid.ndcg}` +
        ` (model ${run.observed.model}, passages ${run.observed.passages})`,
    );
    return { run, titles: session.titles };
  } finally {
    await session.close();
  }
}

async function main(): Promise<void> {
  const options = parseSettings();
  const name = options.quick ? "eval-quick" : "eval";
  if (options.render) {
    // Re-renders the markdown from the JSON of the last run (after a change to its wording).
    const saved = await loadResults(name);
    // Fusion sweeps and comparisons derive from the runs' lists alone: recompute them with the
    // current methods and rules (the offline fusion study needs no server).
    const queries = (await loadQuerySet()).queries;
    for (const run of saved.runs) {
      if (!("rankings" in run) || run.rankings === undefined) continue;
      const picked = new Set(run.rankings.map((r) => r.id));
      run.fusion = scoreFusion(
        queries.filter((q) => picked.has(q.id)),
        run.rankings,
        serverWeight(run.vars, run.observed),
      );
    }
    saved.comparisons = compareRuns(saved.runs);
    await saveResults(name, saved);
    await writeFile(join(RESULTS_DIR, `${name}.md`), renderEval(saved));
    log(`rendered bench/results/${name}.md from ${name}.json`);
    return;
  }
  const full = await loadQuerySet();
  const set = options.quick ? quickSubset(full, QUICK.kbs, QUICK.queries) : full;
  const machine = machineInfo();
  log(`${set.queries.length} queries over ${set.kbs.join(", ")}; ${options.runs.length} run(s)`);
  // Bundled once here rather than by each server as it starts.
  await bundleWorker();
  const runs: (EvalRun | FailedRun)[] = [];
  let titles = new Map<string, string>();
  for (const settings of options.runs) {
    log(`run: model ${settings.model}, passages ${settings.passages ?? "(default)"}`);
    try {
      const measured = await measure(
        settings,
        set,
        options.corpus,
        options.drainTimeoutMs,
        options.keepState,
      );
      runs.push(measured.run);
      titles = measured.titles;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`run FAILED: ${message}`);
      runs.push({ settings, error: message });
    }
  }
  const results: EvalResults = {
    date: new Date().toISOString(),
    quick: options.quick,
    durationSeconds: Math.round((performance.now() - started) / 1000),
    command: `npm run eval -- ${process.argv.slice(2).join(" ")}`.trim().replace(/ --$/, ""),
    machine,
    querySet: {
      path: relative(PROJECT_ROOT, QUERY_SET_PATH),
      corpus: set.corpus,
      kbs: set.kbs,
      queries: set.queries.length,
      deep: set.queries.filter((q) => q.deep).length,
      heldout: set.queries.filter((q) => q.split === "heldout").length,
      paraphrased: set.queries.filter((q) => {
        const title = titles.get(q.answer.entry);
        return title !== undefined && !sharesTitleWords(q.query, title);
      }).length,
    },
    runs,
    comparisons: compareRuns(runs),
  };
  const markdown = renderEval(results);
  await saveResults(name, results);
  await writeFile(join(RESULTS_DIR, `${name}.md`), markdown);
  process.stdout.write(markdown);
  log(`results: bench/results/${name}.json and .md`);
  process.exitCode = runs.some((r) => "error" in r) ? 1 : 0;
}

main().then(
  // Keep-alive sockets and the server's child would otherwise hold the process open.
  () => process.exit(),
  (error: unknown) => {
    process.stderr.write(`eval: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
