/**
 * `npm run bench -- --scale`: the real worker code in workerd (Miniflare) against the fake
 * Workers AI binding, measuring drain throughput against rounds in flight (1, 2, 4, 8) and shard
 * count, a 429 storm, a chaos run (storm, failures, timeouts and a crash of the whole system,
 * recounted against D1, the fake Vectorize recounted against D1 after every run), search latency
 * through the VectorStore port, and the pipeline's own cost per passage with an instant embedder, from
 * which 1M passages are extrapolated (not run: see `extrapolate`). Writes
 * `bench/results/scale.json` and `scale.md`. A few minutes on 2 cores.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FakeAiConfig } from "../../test/support/fake-ai-types.js";
import { currentLoad, machineInfo } from "../lib/machine.js";
import { RESULTS_DIR } from "../lib/paths.js";
import { BATCH, type DrainConfig, type DrainRun, runDrainConfig } from "./drain.js";
import { bundleScaleWorker } from "./launch.js";
import { renderScale, type ScaleResults } from "./report.js";

/**
 * The simulated Workers AI: 2.5 s a call plus 10 ms a text (≈3 s for 50 texts), ±20%; at most 20
 * calls in any 10 s (2 a second: a scaled-down stand-in for the 3,000 a minute of text
 * embeddings, which the pipeline here, on 2 shared cores, could not keep up with).
 */
export const SIMULATED: Partial<FakeAiConfig> = {
  seed: 16,
  latencyMs: 2500,
  perTextMs: 10,
  jitter: 0.2,
  rateLimit: { requests: 20, windowMs: 10_000 },
};

/**
 * `EMBED_REQUESTS_PER_MINUTE` as README advises: a little under the rate limit (95% of 120 a
 * minute here), so the workers pace themselves instead of learning the limit from 429s, whose
 * whole-second Retry-After would idle every lane for a second at a time.
 */
const PACED_RPM = 114;

function configs(): DrainConfig[] {
  const remote = (name: string, shards: number, concurrency: number, entries: number) => ({
    name,
    shards,
    concurrency,
    entries,
    fake: SIMULATED,
    requestsPerMinute: PACED_RPM,
  });
  return [
    remote("concurrency 1", 1, 1, 600),
    remote("concurrency 2", 1, 2, 600),
    remote("concurrency 4", 1, 4, 1000),
    remote("concurrency 8", 1, 8, 1500),
    remote("2 shards × 2", 2, 2, 1000),
    remote("4 shards × 2", 4, 2, 1500),
    {
      ...remote("429 storm, concurrency 4", 1, 4, 1000),
      storm: { afterMs: 2000, calls: 20, retryAfterS: 2 },
    },
    {
      ...remote("chaos: 2 shards × 4, storm, failures, timeouts, crash", 2, 4, 1500),
      fake: { ...SIMULATED, failureRate: 0.05, timeoutRate: 0.03, timeoutMs: 2000 },
      storm: { afterMs: 1500, calls: 10, retryAfterS: 1 },
      crashAfterMs: 6000,
      search: true,
      vectorizeDelayMs: 500,
      churn: 50,
    },
    {
      name: "pipeline only (instant embedder)",
      shards: 1,
      concurrency: 4,
      entries: 1500,
      fake: { latencyMs: 0 },
    },
  ];
}

/**
 * Runs the scale bench and writes its results (`scale.*`; with `only`, just the configurations
 * whose names contain it, to `scale-partial.*`).
 */
export async function runScaleBench(log: (line: string) => void, only?: string): Promise<void> {
  const started = performance.now();
  const machine = machineInfo();
  const bundleDir = await mkdtemp(join(tmpdir(), "pyrite-scale-bundle-"));
  const runs: DrainRun[] = [];
  try {
    const scriptPath = await bundleScaleWorker(bundleDir);
    for (const config of configs().filter((c) => only === undefined || c.name.includes(only))) {
      const run = await runDrainConfig(scriptPath, config, log);
      log(
        `${config.name}: ${run.books.passages} passages in ${run.seconds.toFixed(1)} s = ` +
          `${run.passagesPerSecond.toFixed(1)}/s; ${run.embedder.rateLimited} × 429, ` +
          `${run.books.extraAttempts} extra attempts, ${run.books.lostVectors} lost; fake Vectorize ` +
          `${run.vectors.vectors} vectors, ${run.vectors.missing} missing, ${run.vectors.stale} stale`,
      );
      runs.push(run);
    }
  } finally {
    await rm(bundleDir, { recursive: true, force: true });
  }
  const results: ScaleResults = {
    date: new Date().toISOString(),
    durationSeconds: Math.round((performance.now() - started) / 1000),
    machine: { ...machine, loadAvgAtEnd: currentLoad() },
    simulated: { ...SIMULATED, textsPerCall: BATCH },
    runs,
  };
  const markdown = renderScale(results);
  const name = only === undefined ? "scale" : "scale-partial";
  await writeFile(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(RESULTS_DIR, `${name}.md`), markdown);
  process.stdout.write(`${markdown}\n`);
  log(`results: bench/results/${name}.json and .md`);
}
