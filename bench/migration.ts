/**
 * `npx tsx bench/migration.ts [--entries 60] [--words 60] [--samples 8]`: a shadow migration on
 * the real local server, `hash` → the bundled model. Reports the migration's throughput, the dry
 * run's estimate against the time it took, and fresh-write freshness (write acknowledged →
 * `embed_complete`) and write latency, idle and during the migration. Writes
 * `bench/results/migration.json`.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ok } from "../src/contract/client.js";
import type { MigrationStatus } from "../src/shared/api-types.js";
import { bulkCreate } from "./lib/bulk.js";
import { BenchClient, timed, waitForDrain } from "./lib/client.js";
import { makeEntry } from "./lib/corpus.js";
import { EventListener } from "./lib/events.js";
import { currentLoad } from "./lib/machine.js";
import { RESULTS_DIR } from "./lib/paths.js";
import { startServer } from "./lib/server.js";
import { fixed, summarize } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: "60" },
    words: { type: "string", default: "60" },
    samples: { type: "string", default: "8" },
  },
});
const ENTRIES = Number(values.entries);
const WORDS = Number(values.words);
const SAMPLES = Number(values.samples);
const KB = "mig";
const SEED = 1501;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const log = (line: string) => process.stderr.write(`[migration] ${line}\n`);

/** One write and its embed_complete: (write latency, freshness) in ms. */
async function sample(api: BenchClient, listener: EventListener, index: number) {
  const entry = makeEntry(SEED + 1, index, WORDS, "w");
  const answer = await timed(api.http.api.entries.$post({ json: { kb: KB, ...entry } }));
  const ackAt = performance.now();
  if (answer.status !== 201) throw new Error(`create answered ${answer.status}`);
  const event = await listener.waitFor(
    (m) => m.type === "embed_complete" && m.entry_id === entry.id,
    120_000,
  );
  return { writeMs: answer.ms, freshMs: event.at - ackAt };
}

const stateDir = await mkdtemp(join(tmpdir(), "pyrite-bench-migration-"));
const server = await startServer({ stateDir, modelDir: "hash", vars: { EMBED_BATCH_SIZE: "10" } });
const api = new BenchClient(server.url);
const listener = await EventListener.connect(server.url);
try {
  await bulkCreate(api, KB, ENTRIES, (i) => makeEntry(SEED, i, WORDS));
  await waitForDrain(api, { timeoutMs: 120_000 });
  log(`${ENTRIES} entries embedded with hash`);

  const idle = [];
  for (let i = 0; i < SAMPLES; i++) {
    idle.push(await sample(api, listener, i));
    await sleep(100);
  }

  const dry = await ok(
    api.http.api.index.migrate.$post({ json: { model: "bundled", dry_run: true } }),
  );
  if (!("estimate" in dry)) throw new Error("the dry run answered no estimate");
  log(`estimate: ${dry.estimate.seconds} s for ${dry.estimate.passages} passages`);

  const load = currentLoad();
  const started = performance.now();
  await ok(api.http.api.index.migrate.$post({ json: { model: "bundled" } }));
  const during = [];
  let migration: MigrationStatus | undefined;
  for (let i = 0; i < SAMPLES; i++) {
    migration = await ok(api.http.api.index.migrate.$get({ query: {} }));
    if (migration.target === null) break;
    during.push(await sample(api, listener, SAMPLES + i));
    await sleep(100);
  }
  for (;;) {
    migration = await ok(api.http.api.index.migrate.$get({ query: {} }));
    if (migration.target === null) break;
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  const bundled = migration.models.find((m) => m.role === "serving");
  const result = {
    measured_at: new Date().toISOString(),
    load_average_at_start: load,
    method:
      `real local server (src/server/main.ts), PYRITE_MODEL=hash, EMBED_BATCH_SIZE=10; ${ENTRIES} ` +
      `entries of ~${WORDS} words embedded, then \`POST /api/index/migrate {model: "bundled"}\`; ` +
      `${SAMPLES} single writes (one at a time, 100 ms apart) before it and up to ${SAMPLES} during ` +
      "it; freshness = embed_complete arrival − write answer read",
    migration: {
      entries: bundled?.sets ?? 0,
      passages: bundled?.passages ?? 0,
      seconds: fixed(seconds, 1),
      entries_per_second: fixed((bundled?.sets ?? 0) / seconds, 2),
      passages_per_second: fixed((bundled?.passages ?? 0) / seconds, 2),
    },
    estimate: {
      ...dry.estimate,
      // The migration also embedded the writes made during it: compare per passage.
      error: fixed(
        dry.estimate.seconds / dry.estimate.passages / (seconds / (bundled?.passages ?? 1)) - 1,
        3,
      ),
    },
    freshness_ms: {
      idle: summarize(idle.map((s) => s.freshMs)),
      during: summarize(during.map((s) => s.freshMs)),
    },
    write_latency_ms: {
      idle: summarize(idle.map((s) => s.writeMs)),
      during: summarize(during.map((s) => s.writeMs)),
    },
  };
  await writeFile(join(RESULTS_DIR, "migration.json"), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await listener.close();
  api.close();
  await server.stop();
  await rm(stateDir, { recursive: true, force: true });
}
