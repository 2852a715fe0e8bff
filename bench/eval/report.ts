/**
 * The evaluation's results (`bench/results/eval.json`) and their markdown (`eval.md`): per run,
 * what the server said it ran, the figures per mode and group, the fusion tuned on `tune` and
 * judged on `heldout`, and the targets; across runs, passages against one vector per note.
 */
import type { EmbedStatus } from "../../src/shared/api-types.js";
import type { MachineInfo } from "../lib/machine.js";
import type { Figures, FusionScores, GroupScores, QueryScores } from "./scores.js";
import type { QueryRankings, SearchFacts } from "./searches.js";
import type { RunSettings, ServerFacts } from "./session.js";

/** One target, judged (null: not measurable in this run, `note` says why). */
export interface EvalTarget {
  target: string;
  figure: string;
  met: boolean | null;
  note?: string;
}

/** What the server actually ran, from its own answers. */
export interface ObservedSettings {
  model: string | null;
  provider: string | null;
  semantic: boolean;
  embedMode: string;
  /** `on` when the status counted more passages than entries (notes were split), else `off`. */
  passages: "on" | "off";
  /** The status's passage and entry counts after the drain. */
  counts: { passages: number; entries: number };
  /** Status and health fields that mention passages or hybrid weights, as the server sent them. */
  reported: Record<string, unknown>;
}

/** One run (one server) that measured. */
export interface EvalRun {
  settings: RunSettings;
  vars: Record<string, string>;
  observed: ObservedSettings;
  import: ServerFacts["import"];
  drain: ServerFacts["drain"] & { done: number; failed: number; truncated: number };
  searchFacts: SearchFacts;
  groups: GroupScores[];
  fusion: FusionScores;
  targets: EvalTarget[];
  queries: QueryScores[];
  /**
   * Every query's lists as the server answered them: what offline fusions are measured on (kept
   * in `eval-lists.json`; absent from results of runs made before the lists were kept).
   */
  rankings?: QueryRankings[];
}

/** A run that could not measure, and why. */
export interface FailedRun {
  settings: RunSettings;
  error: string;
}

/** Everything `npm run eval` wrote. */
export interface EvalResults {
  date: string;
  quick: boolean;
  durationSeconds: number;
  command: string;
  machine: MachineInfo;
  querySet: {
    path: string;
    corpus: string;
    kbs: string[];
    queries: number;
    deep: number;
    heldout: number;
    /** Queries sharing no content word with their answer note's title. */
    paraphrased: number;
  };
  runs: (EvalRun | FailedRun)[];
  comparisons: EvalTarget[];
}

/** Reads what the server ran from its status and health answers. */
export function observe(facts: ServerFacts): ObservedSettings {
  const reported: Record<string, unknown> = {};
  for (const [source, object] of [
    ["status", facts.status],
    ["health", facts.health],
  ] as const) {
    for (const [key, value] of Object.entries(object)) {
      if (/passage|hybrid|weight/i.test(key)) reported[`${source}.${key}`] = value;
    }
  }
  const status: EmbedStatus = facts.status;
  return {
    model: status.model,
    provider: status.provider,
    semantic: status.semantic,
    embedMode: status.embed_mode,
    // Whole-note mode still returns a passage per result (the note's one), so the status decides:
    // more passages than entries means notes were split.
    passages: status.passages > status.entries ? "on" : "off",
    counts: { passages: status.passages, entries: status.entries },
    reported,
  };
}

const ratio = (a: number, b: number) => (b === 0 ? Number.POSITIVE_INFINITY : a / b);

/** The per-run targets: hybrid against keyword, on every query and on heldout. */
export function runTargets(groups: GroupScores[]): EvalTarget[] {
  const targets: EvalTarget[] = [];
  for (const name of ["all", "heldout"]) {
    const group = groups.find((g) => g.group === name);
    if (!group) continue;
    const { keyword, hybrid } = group.modes;
    const r = ratio(hybrid.ndcg, keyword.ndcg);
    targets.push({
      target: `hybrid nDCG@10 ≥ 1.03 × keyword (${name})`,
      figure: `${hybrid.ndcg.toFixed(3)} vs ${keyword.ndcg.toFixed(3)}: ×${r.toFixed(3)}`,
      met: r >= 1.03,
    });
    targets.push({
      target: `hybrid nDCG@10 not below keyword (${name})`,
      figure: `${(hybrid.ndcg - keyword.ndcg).toFixed(3)}`,
      met: hybrid.ndcg >= keyword.ndcg,
    });
  }
  return targets;
}

const isRun = (run: EvalRun | FailedRun): run is EvalRun => "groups" in run;

/**
 * Passages against one vector per note, per model: semantic nDCG@10 on deep queries, where one
 * run of the model really served passages and another really did not.
 */
export function compareRuns(runs: (EvalRun | FailedRun)[]): EvalTarget[] {
  const measured = runs.filter(isRun);
  const models = [...new Set(measured.map((r) => r.observed.model ?? "none"))];
  return models.map((model) => {
    const of = (passages: "on" | "off") =>
      measured.find(
        (r) => (r.observed.model ?? "none") === model && r.observed.passages === passages,
      );
    const on = of("on");
    const off = of("off");
    const target = `semantic with passages ≥ 1.15 × one vector per note, deep queries (${model})`;
    if (!on || !off) {
      const asked = measured
        .filter((r) => (r.observed.model ?? "none") === model)
        .map((r) => r.settings.passages ?? "default");
      return {
        target,
        figure: "—",
        met: null,
        note:
          `needs one run that served passages and one that did not; runs asked for passages ` +
          `${asked.join(", ")} and served ${on ? "on" : "off"} only` +
          (asked.includes("on") && !on ? " (the server did not honour EMBED_PASSAGES=on)" : ""),
      };
    }
    const deep = (run: EvalRun) =>
      run.groups.find((g) => g.group === "deep")?.modes.semantic.ndcg ?? 0;
    const r = ratio(deep(on), deep(off));
    return {
      target,
      figure: `${deep(on).toFixed(3)} vs ${deep(off).toFixed(3)}: ×${r.toFixed(3)}`,
      met: r >= 1.15,
    };
  });
}

const mark = (met: boolean | null) => (met === null ? "not measured" : met ? "met" : "NOT met");
const f3 = (n: number) => n.toFixed(3);
// A model id such as `hash-v1|384|none|norm` must not split a table cell.
const row = (cells: (string | number)[]) =>
  `| ${cells.map((c) => String(c).replaceAll("|", "\\|")).join(" | ")} |`;

function figuresCells(f: Figures): string[] {
  return [f3(f.ndcg), f3(f.recall), f3(f.mrr)];
}

/** Passages against entries, as the status counted them after the drain. */
function status(run: EvalRun): string {
  const { passages, entries } = run.observed.counts;
  return `${passages} passages for ${entries} entries`;
}

/** The fusion methods compared offline on the server's lists: sweeps on tune, best on heldout. */
function renderFusion(run: EvalRun): string[] {
  const { methods, heldout, serverMatch } = run.fusion;
  const weights = methods[0]?.sweep.map((p) => p.semanticWeight.toFixed(2)) ?? [];
  return [
    "Fusion methods compared offline on the server's top-60 keyword and semantic lists (with " +
      "their scores), keyword weight 1 − w and semantic weight w; each method's w is picked on " +
      "the `tune` queries only (nDCG@10 on tune per w):",
    "",
    row(["method", ...weights]),
    row(["---", ...weights.map(() => "---:")]),
    ...methods.map((m) => row([m.id, ...m.sweep.map((p) => f3(p.tuneNdcg))])),
    "",
    `Each at its best w on tune, judged on the ${heldout.queries} heldout queries:`,
    "",
    row(["method", "best w (tune)", "tune nDCG@10", "heldout nDCG@10", "R@10", "MRR"]),
    row(["---", "---:", "---:", "---:", "---:", "---:"]),
    ...methods.map((m) =>
      row([`${m.id}: ${m.name}`, m.best.toFixed(2), f3(m.tuneNdcg), ...figuresCells(m.heldout)]),
    ),
    row(["server hybrid (as run)", "", "", ...figuresCells(heldout.serverHybrid)]),
    row(["keyword", "", "", ...figuresCells(heldout.keyword)]),
    row(["semantic", "", "", ...figuresCells(heldout.semantic)]),
    "",
    `Check: the offline score fusion at the server's w = ${serverMatch.weight}` +
      `${serverMatch.weight === 0 ? " (the embedder is not semantic: hybrid is keyword)" : ""} ` +
      `gives the server's hybrid top 10 exactly for ${serverMatch.identical} of ${serverMatch.of} ` +
      "queries (where it differs, equal scores were ordered otherwise or the server's int8 " +
      "cosines rounded differently).",
    "",
  ];
}

function renderRun(run: EvalRun): string[] {
  const o = run.observed;
  const lines = [
    `## Run: model \`${run.settings.model}\`, passages ${run.settings.passages ?? "(server default)"}`,
    "",
    `What the server reported: model **${o.model ?? "none"}** (provider ${o.provider ?? "?"}, ` +
      `${o.semantic ? "semantic" : "NOT semantic: lexical similarity"}), embed mode ${o.embedMode}; ` +
      `passages **${o.passages}** (${status(run)}; ${run.searchFacts.passageResults} of ` +
      `${run.searchFacts.results} semantic/hybrid results carried a passage)` +
      (Object.keys(o.reported).length > 0
        ? `; also reported: \`${JSON.stringify(o.reported)}\``
        : "") +
      ".",
    `Settings passed: \`${JSON.stringify(run.vars)}\`.`,
    `Import: ${run.import.imported} entries (${run.import.skipped} skipped) in ${run.import.seconds.toFixed(1)} s; ` +
      `drain complete in ${run.drain.seconds.toFixed(1)} s (${run.drain.done} done, ${run.drain.failed} failed, ` +
      `${run.drain.truncated} truncated).`,
    "",
    row([
      "queries",
      "n",
      "keyword nDCG@10",
      "R@10",
      "MRR",
      "semantic nDCG@10",
      "R@10",
      "MRR",
      "hybrid nDCG@10",
      "R@10",
      "MRR",
    ]),
    row(Array.from({ length: 11 }, (_, i) => (i < 2 ? "---" : "---:"))),
    ...run.groups.map((g) =>
      row([
        g.group,
        g.queries,
        ...figuresCells(g.modes.keyword),
        ...figuresCells(g.modes.semantic),
        ...figuresCells(g.modes.hybrid),
      ]),
    ),
    "",
    ...renderFusion(run),
    row(["target", "figure", "verdict"]),
    row(["---", "---", "---"]),
    ...run.targets.map((t) => row([t.target, t.figure, mark(t.met)])),
    "",
  ];
  return lines;
}

/** The markdown of `eval.md`. */
export function renderEval(results: EvalResults): string {
  const qs = results.querySet;
  const lines = [
    `# Retrieval evaluation${results.quick ? " (quick smoke run: a subset, not the figures)" : ""}`,
    "",
    `${results.date}, ${results.durationSeconds} s, \`${results.command}\`; ${results.machine.cpu}, ` +
      `${results.machine.cores} cores, load at start ${results.machine.loadAvgAtStart.join(" ")}.`,
    "",
    `Query set \`${qs.path}\`: ${qs.queries} hand-written queries over ${qs.kbs.length} KBs of ` +
      `${qs.corpus} (${qs.kbs.join(", ")}; markramm/pyrite-kb-demo, CC BY-SA 4.0); ` +
      `${qs.deep} answered deeper than the first 1,200 characters of the note's body (deep), ` +
      `${qs.queries - qs.deep} shallow; ${qs.heldout} heldout (never used for tuning), ` +
      `${qs.queries - qs.heldout} tune; ${qs.paraphrased} share no content word with the title of ` +
      "the note that answers them.",
    "",
    "Method: each run starts the real local server (what `npm start` runs) on a fresh state " +
      "directory with the settings shown, imports the KBs through the importer `pyrite import` " +
      "runs, waits until the embedding queue is empty, checks every judged entry exists and every " +
      "recorded answer offset still holds, then sends each query to `GET /api/search` across all " +
      "the KBs in keyword, semantic and hybrid mode (limit 10, scored), and keyword and semantic " +
      "again with limit 60 (what the server's hybrid fuses for a page of 10) for the offline fusion sweeps. nDCG@10 uses linear gain (grade 2 for " +
      "the note whose passage answers the query, 1 for other notes that also answer it); recall@10 " +
      "counts every relevant note; MRR is the reciprocal rank of the first relevant note in the top 10.",
    "",
  ];
  for (const run of results.runs) {
    if (isRun(run)) lines.push(...renderRun(run));
    else
      lines.push(
        `## Run: model \`${run.settings.model}\`, passages ${run.settings.passages ?? "(server default)"}`,
        "",
        `FAILED: ${run.error}`,
        "",
      );
  }
  lines.push(
    "## Passages against one vector per note",
    "",
    row(["target", "figure", "verdict", "note"]),
    row(["---", "---", "---", "---"]),
    ...results.comparisons.map((t) => row([t.target, t.figure, mark(t.met), t.note ?? ""])),
    "",
  );
  return `${lines.join("\n")}\n`;
}
