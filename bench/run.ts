/**
 * `npm run bench [-- --quick] [-- --only write,drain,freshness,search,load] [-- --keep]`
 * (`-- --render` rewrites the markdown from the JSON of the last run, measuring nothing;
 * `-- --corpus DIR...` imports real pyrite KB folders and measures on them, alone unless `--only`
 * names other scenarios too; `-- --scale [--only NAME]` runs the scale simulation alone, or its
 * configurations whose names contain NAME, bench/scale/run.ts):
 * starts the real local server (as `npm start` does) with the generated all-MiniLM-L6-v2-shaped
 * model (q8), drives it over loopback through every scenario, judges the targets, and writes
 * `bench/results/<name>.json` and `.md` (`latest` for a full run, `quick` for `--quick`).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { generateTestModel } from "../scripts/model/generate.js";
import { SPECS } from "../scripts/model/spec.js";
import { DEFAULT_THREADS } from "../src/node/transformers-embedder.js";
import { bundleWorker } from "../src/server/bundle.js";
import { embedderNice } from "../src/server/embedder-priority.js";
import { currentLoad, machineInfo, versions } from "./lib/machine.js";
import { renderMarkdown } from "./lib/markdown.js";
import { PROJECT_ROOT, RESULTS_DIR } from "./lib/paths.js";
import { FULL_PLAN, type Plan, QUICK_PLAN } from "./lib/plan.js";
import { RawEmbedder } from "./lib/raw-embedder.js";
import type { BenchResults, Outcome } from "./lib/results.js";
import { ServerPool } from "./lib/server-pool.js";
import { drainServer, mainServer, searchServer, writeServers } from "./lib/servers.js";
import { judgeTargets } from "./lib/targets.js";
import { runScaleBench } from "./scale/run.js";
import { CORPUS_NOTE, corpusServer, runCorpus } from "./scenarios/corpus.js";
import { runDrain } from "./scenarios/drain.js";
import { runFreshness } from "./scenarios/freshness.js";
import { runLoad } from "./scenarios/load.js";
import { runSearch } from "./scenarios/search.js";
import { runWriteLatency } from "./scenarios/write-latency.js";

const SCENARIOS = ["write", "drain", "freshness", "search", "load"] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const started = performance.now();
const log = (line: string) => {
  const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[bench ${seconds}s] ${line}\n`);
};

async function attempt<T>(name: string, run: () => Promise<T>): Promise<Outcome<T>> {
  const t0 = performance.now();
  log(`${name}: start`);
  try {
    const result = await run();
    log(`${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`${name}: FAILED: ${message}`);
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function settings(plan: Plan, modelDir: string, corpusDirs: string[]): Record<string, unknown> {
  const spec = SPECS.minilm;
  return {
    model:
      `generated all-MiniLM-L6-v2-shaped BERT (${spec.layers} layers, hidden ${spec.hidden}, ` +
      `${spec.heads} heads, FFN ${spec.intermediate}, vocab ${spec.vocabSize}; seeded random weights), ` +
      `q8 (onnx/model_quantized.onnx), ${DEFAULT_THREADS} onnxruntime threads, 256-token window`,
    modelDir: relative(PROJECT_ROOT, modelDir),
    server:
      "node --import tsx src/server/main.ts --port 0 --state <tmp> (what `npm start` runs, without tsx's " +
      "wrapper process); PYRITE_MODEL=<modelDir>, PYRITE_OFFLINE=1; wrangler.toml [vars] otherwise " +
      "(EMBED_KICK_DELAY_MS=0, lease 120 s), EMBED_MODE / EMBED_BATCH_SIZE per scenario",
    client: "node:http keep-alive agent over 127.0.0.1, in the bench process",
    embedderNice: embedderNice(process.env.PYRITE_EMBEDDER_NICE),
    rawEmbedder:
      "createTransformersEmbedder in a process of its own (bench/lib/raw-child.ts): same model " +
      "directory, q8, same threads, same nice value as the server's embedder; timed inside that process",
    plan,
    ...(corpusDirs.length > 0
      ? { corpus: { dirs: corpusDirs.map((d) => relative(PROJECT_ROOT, d)), license: CORPUS_NOTE } }
      : {}),
  };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      keep: { type: "boolean", default: false },
      out: { type: "string" },
      render: { type: "boolean", default: false },
      corpus: { type: "string" },
      scale: { type: "boolean", default: false },
    },
    // `--corpus DIR...`: the folders after the first arrive as positionals.
    allowPositionals: true,
  });
  if (values.render) {
    // Re-renders <out>.md from <out>.json (after a change to the tables' wording), measuring nothing.
    const name = values.out ?? "latest";
    const results = JSON.parse(
      await readFile(join(RESULTS_DIR, `${name}.json`), "utf8"),
    ) as BenchResults;
    await writeFile(join(RESULTS_DIR, `${name}.md`), renderMarkdown(results));
    log(`rendered bench/results/${name}.md from ${name}.json`);
    return;
  }
  if (values.scale) {
    // The scale simulation runs alone: its own workerd, the fake Workers AI, no Node embedder.
    await runScaleBench(log, values.only);
    return;
  }
  const plan = values.quick ? QUICK_PLAN : FULL_PLAN;
  const corpusDirs = values.corpus === undefined ? [] : [values.corpus, ...positionals];
  if (corpusDirs.length === 0 && positionals.length > 0)
    throw new Error(`unexpected argument(s): ${positionals.join(" ")}`);
  // With --corpus, the synthetic scenarios run only when --only names them.
  const only = values.only
    ? values.only.split(",").map((s) => s.trim())
    : corpusDirs.length > 0
      ? []
      : [...SCENARIOS];
  const unknown = only.filter((s) => !SCENARIOS.includes(s as ScenarioName));
  if (unknown.length > 0)
    throw new Error(`unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIOS.join(", ")}`);
  const wants = (name: ScenarioName) => only.includes(name);
  const outName =
    values.out ??
    (values.quick
      ? corpusDirs.length > 0 && !values.only
        ? "corpus-quick"
        : "quick"
      : values.only
        ? "partial"
        : corpusDirs.length > 0
          ? "corpus"
          : "latest");

  const machine = machineInfo();
  log(`machine: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAvgAtStart.join(" ")}`);
  const model = await generateTestModel({ size: "minilm" });
  log(`model: ${model.dir}${model.generated ? " (generated now)" : ""}`);
  const workDir = await mkdtemp(join(tmpdir(), "pyrite-bench-"));
  log(`state under ${workDir}`);
  // Bundled once here: the servers starting together then all find it in the launcher's cache.
  await bundleWorker();
  const pool = new ServerPool(model.dir, workDir);
  // Every server starts now, together; each scenario takes its own when it begins.
  if (wants("write"))
    for (const spec of Object.values(writeServers())) pool.prepare(spec.name, spec.vars);
  if (wants("drain")) {
    for (const size of plan.drain.batchSizes) {
      const spec = drainServer(plan, size);
      pool.prepare(spec.name, spec.vars);
    }
  }
  if (wants("freshness") || wants("load"))
    pool.prepare(mainServer(plan).name, mainServer(plan).vars);
  if (wants("search")) pool.prepare(searchServer().name, searchServer().vars);
  if (corpusDirs.length > 0) pool.prepare(corpusServer(plan).name, corpusServer(plan).vars);
  const raw = await RawEmbedder.start(model.dir);
  const common = { plan, pool, modelDir: model.dir, log };
  const scenarios: BenchResults["scenarios"] = {};
  try {
    if (wants("write"))
      scenarios.writeLatency = await attempt("write latency", () => runWriteLatency(common));
    if (wants("drain"))
      scenarios.drain = await attempt("drain", () => runDrain({ ...common, raw }));
    if (wants("freshness"))
      scenarios.freshness = await attempt("freshness", () => runFreshness({ ...common, raw }));
    if (wants("search"))
      scenarios.search = await attempt("search", () => runSearch({ ...common, raw }));
    if (wants("load")) {
      scenarios.load = await attempt("load", async () => {
        const spec = mainServer(plan);
        const server = await pool.take(spec.name, spec.vars);
        const result = await runLoad({ baseUrl: server.url, ...plan.load, seed: plan.seed, log });
        return {
          method:
            `background server (EMBED_BATCH_SIZE ${plan.drain.primaryBatchSize}; the one the drain and ` +
            "freshness runs used, in a KB of its own); writers run concurrently, each creating, " +
            "PATCHing and deleting its own entries (seeded mix 45/40/15); listeners on /ws from " +
            "the start; then wait for the queue to empty and check",
          ...result,
        };
      });
    }
    if (corpusDirs.length > 0)
      scenarios.corpus = await attempt("corpus", () =>
        runCorpus({ ...common, raw, dirs: corpusDirs }),
      );
  } finally {
    raw.stop();
    await pool.stopAll();
    if (!values.keep) await rm(workDir, { recursive: true, force: true });
  }

  const partial: Omit<BenchResults, "targets"> = {
    date: new Date().toISOString(),
    quick: plan.quick,
    durationSeconds: Math.round((performance.now() - started) / 1000),
    machine: { ...machine, loadAvgAtEnd: currentLoad() },
    versions: versions(),
    settings: settings(plan, model.dir, corpusDirs),
    scenarios,
  };
  const results: BenchResults = { ...partial, targets: judgeTargets(partial) };
  const markdown = renderMarkdown(results);
  await writeFile(join(RESULTS_DIR, `${outName}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(RESULTS_DIR, `${outName}.md`), markdown);
  process.stdout.write(`${markdown}\n`);
  log(`results: bench/results/${outName}.json and .md`);
  const failedScenarios = Object.values(scenarios).filter((s) => s !== undefined && "error" in s);
  process.exitCode = failedScenarios.length > 0 ? 1 : 0;
}

main().then(
  // onnxruntime's thread pool and keep-alive sockets would otherwise hold the process open.
  () => process.exit(),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
