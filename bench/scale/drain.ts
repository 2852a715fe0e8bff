/**
 * One configuration of the scale bench: a fresh system with `shards` EmbedWorkers of
 * `concurrency` rounds each, `entries` queued with the workers paused (one passage each), then
 * resumed and timed from Node until the queue is empty; optionally a 429 storm or a crash of the
 * whole system part-way; optionally churn (entries edited and deleted after the drain, drained
 * again); then the books recounted from D1 and from the fake embedder, and the fake Vectorize
 * recounted against D1.
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ok } from "../../src/contract/client.js";
import type { FakeAiConfig, FakeAiStats } from "../../test/support/fake-ai-types.js";
import type { FakeVectorizeSnapshot } from "../../test/support/fake-vectorize-types.js";
import { bulkCreate } from "../lib/bulk.js";
import { BenchClient, setWorker, waitForDrain } from "../lib/client.js";
import { makeEntry, revise } from "../lib/corpus.js";
import { launchScale, type ScaleSystem } from "./launch.js";
import { type Recount, recount } from "./recount.js";
import { recountVectors, type VectorRecount } from "./recount-vectors.js";
import { measureVectorSearch, type SearchLatency } from "./search-hook.js";

/** Texts per Workers AI call in every configuration (its maximum is 100). */
export const BATCH = 50;
/**
 * KBs the entries are spread over, equally: a shard's share of the work is its share of the KBs,
 * so few KBs would leave shards unevenly loaded (with 16, two shards split them 11 to 5).
 */
export const KBS = 64;
/** Words of each entry's body: one passage each. */
const BODY_WORDS = 60;
/** Lease of a claim: short, so a crash's rows come back within the run. */
const LEASE_MS = 12_000;

/** A configuration to run. */
export interface DrainConfig {
  name: string;
  shards: number;
  concurrency: number;
  entries: number;
  fake: Partial<FakeAiConfig>;
  /** A storm of `calls` 429s with `Retry-After: retryAfterS`, `afterMs` into the drain. */
  storm?: { afterMs: number; calls: number; retryAfterS: number };
  /** Stop the whole system `afterMs` into the drain and start it again on the same state. */
  crashAfterMs?: number;
  /** `EMBED_REQUESTS_PER_MINUTE`, if set: the workers pace themselves under the rate limit. */
  requestsPerMinute?: number;
  /** Measure search through the VectorStore port after the drain (see search-hook.ts). */
  search?: boolean;
  /** Milliseconds the fake Vectorize takes to apply a mutation (default 0: at once). */
  vectorizeDelayMs?: number;
  /** After the drain, edit this many entries and delete as many, then drain again. */
  churn?: number;
}

/** The fake embedder's record, summed over the system's lives. */
export interface EmbedderRecord {
  calls: number;
  served: number;
  textsServed: number;
  repeatedTexts: number;
  rateLimited: number;
  failures: number;
  timeouts: number;
  maxInFlight: number;
}

/** What one configuration measured. */
export interface DrainRun {
  config: DrainConfig;
  seconds: number;
  passagesPerSecond: number;
  /** Calls the fake served per second over the drain. */
  callsPerSecond: number;
  books: Recount;
  /** The fake Vectorize recounted against D1. */
  vectors: VectorRecount;
  /** Bytes of the D1 database files after the drain (entries, FTS, queue, passages, vectors). */
  d1Bytes: number;
  embedder: EmbedderRecord;
  search?: SearchLatency;
}

/** Total size of the SQLite files of the local D1 under `stateDir`. */
async function d1Bytes(stateDir: string): Promise<number> {
  const dir = join(stateDir, "v3", "d1");
  const files = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const file of files) {
    if (file.isFile() && /\.sqlite(-wal)?$/.test(file.name)) {
      total += (await stat(join(file.parentPath, file.name))).size;
    }
  }
  return total;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function add(total: EmbedderRecord, stats: FakeAiStats): EmbedderRecord {
  return {
    calls: total.calls + stats.calls,
    served: total.served + stats.served,
    textsServed: total.textsServed + stats.textsServed,
    repeatedTexts: total.repeatedTexts + stats.repeatedTexts,
    rateLimited: total.rateLimited + stats.rateLimited,
    failures: total.failures + stats.failures,
    timeouts: total.timeouts + stats.timeouts,
    maxInFlight: Math.max(total.maxInFlight, stats.maxInFlight),
  };
}

const EMPTY: EmbedderRecord = {
  calls: 0,
  served: 0,
  textsServed: 0,
  repeatedTexts: 0,
  rateLimited: 0,
  failures: 0,
  timeouts: 0,
  maxInFlight: 0,
};

/**
 * Edits the first `count` entries of the first KBs and deletes the `count` after them, then
 * drains again: the index must lose the deleted entries' vectors and replace the edited ones'.
 */
async function churn(
  api: BenchClient,
  count: number,
  perKb: number,
  log: (line: string) => void,
): Promise<void> {
  for (let i = 0; i < 2 * count; i++) {
    const kb = `kb-${Math.floor(i / perKb)}`;
    const id = `e${i}`;
    const param = { id };
    if (i < count) {
      const body = revise(makeEntry(7, i, BODY_WORDS), 7, 1, BODY_WORDS).body;
      await ok(
        api.http.api.entries[":id"].$patch({ param, query: { kb }, header: {}, json: { body } }),
      );
    } else {
      await ok(api.http.api.entries[":id"].$delete({ param, query: { kb }, header: {} }));
    }
  }
  log(`churn: ${count} entries edited, ${count} deleted; draining again`);
  await waitForDrain(api, { timeoutMs: 600_000, pollMs: 250 });
}

/** Runs one configuration on a fresh state directory. */
export async function runDrainConfig(
  scriptPath: string,
  config: DrainConfig,
  log: (line: string) => void,
): Promise<DrainRun> {
  const stateDir = await mkdtemp(join(tmpdir(), "pyrite-scale-"));
  const vars = {
    EMBED_SHARDS: String(config.shards),
    EMBED_CONCURRENCY: String(config.concurrency),
    EMBED_BATCH_SIZE: String(BATCH),
    EMBED_LEASE_MS: String(LEASE_MS),
    EMBED_RETRY_BASE_MS: "500",
    EMBED_KICK_DELAY_MS: "0",
    ...(config.requestsPerMinute === undefined
      ? {}
      : { EMBED_REQUESTS_PER_MINUTE: String(config.requestsPerMinute) }),
  };
  const start = () =>
    launchScale({
      scriptPath,
      stateDir,
      vars,
      fake: config.fake,
      vectorizeDelayMs: config.vectorizeDelayMs ?? 0,
    });
  let system: ScaleSystem = await start();
  let record = EMPTY;
  try {
    let api = new BenchClient(system.url);
    await setWorker(api, "pause");
    const perKb = Math.ceil(config.entries / KBS);
    for (let k = 0; k < KBS; k++) {
      const count = Math.min(perKb, config.entries - k * perKb);
      if (count <= 0) break;
      await bulkCreate(api, `kb-${k}`, count, (i) => makeEntry(7, i, BODY_WORDS), k * perKb);
    }
    log(`${config.name}: ${config.entries} entries queued; draining`);
    const t0 = performance.now();
    await setWorker(api, "resume");
    if (config.storm) {
      const { afterMs, calls, retryAfterS } = config.storm;
      await sleep(afterMs);
      await system.fake.storm(calls, retryAfterS);
    }
    if (config.crashAfterMs !== undefined) {
      await sleep(config.crashAfterMs - (config.storm?.afterMs ?? 0));
      record = add(record, await system.fake.stats());
      const before = await recount(system.db);
      // Vectorize outlives the worker: what it received before the crash is in the next life.
      await system.vectors.freeze();
      // A copy in Node: what an RPC answer holds dies with the runtime that sent it.
      const index = JSON.parse(
        JSON.stringify(await system.vectors.snapshot()),
      ) as FakeVectorizeSnapshot;
      await system.stop();
      log(`${config.name}: crashed with ${before.processing} rows claimed, ${before.done} done`);
      system = await start();
      await system.vectors.restore(index);
      api = new BenchClient(system.url);
      // Nothing told the workers about the rows they held. Deployed, the cron's next tick kicks
      // them; here `index embed --background` does at once (it queues nothing new and kicks
      // every shard), and each shard re-arms for when those leases expire.
      await ok(api.http.api.index.embed.$post({ json: { background: true } }));
    }
    const drained = await waitForDrain(api, { timeoutMs: 600_000, pollMs: 250 });
    const seconds = (drained.at - t0) / 1000;
    // Throughput is the drain's: the passages it committed, before any churn.
    const drainedPassages = (await recount(system.db)).passages;
    if (config.churn) await churn(api, config.churn, perKb, log);
    record = add(record, await system.fake.stats());
    const books = await recount(system.db);
    const vectors = await recountVectors(system.db, await system.vectors.report());
    const search = config.search ? await measureVectorSearch(system) : undefined;
    await system.stop();
    return {
      config,
      seconds,
      passagesPerSecond: drainedPassages / seconds,
      callsPerSecond: record.served / seconds,
      books,
      vectors,
      d1Bytes: await d1Bytes(stateDir),
      embedder: record,
      ...(search ? { search } : {}),
    };
  } finally {
    await system.stop().catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  }
}
