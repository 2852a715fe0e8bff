/**
 * Scenarios 4 (search) and 5 (status). One state directory grows to each size of the plan
 * (10k, then 100k entries). Entries go in through the real write path (`POST /api/entries/batch`,
 * worker paused, so each also gets its pending queue row); their vectors are then stored
 * directly (seed-vectors.ts: `passagesPerEntry` random unit vectors per entry, each a passage of
 * its set, of the active model's fingerprint, queue rows marked done: 100k entries hold 500k
 * passage vectors), because embedding 100k texts for real would take far longer than the bench may.
 * Then the server restarts and keyword, semantic and hybrid queries run one at a time, rotating
 * modes, and the status endpoint is timed (also once before the vectors, with the new rows pending).
 */
import { fingerprintKey } from "../../src/embedder/types.js";
import type { EmbedStatus, SearchResponse } from "../../src/shared/api-types.js";
import { bulkCreate } from "../lib/bulk.js";
import { BenchClient, embedStatus, setWorker, timed } from "../lib/client.js";
import { makeEntry, makeQueries } from "../lib/corpus.js";
import { readMemory } from "../lib/memory.js";
import type { Plan } from "../lib/plan.js";
import type { RawEmbedder } from "../lib/raw-embedder.js";
import { seedVectors } from "../lib/seed-vectors.js";
import { type BenchServer, startServer } from "../lib/server.js";
import type { ServerPool } from "../lib/server-pool.js";
import { searchServer } from "../lib/servers.js";
import { fixed, type Summary, summarize } from "../lib/stats.js";

type Mode = SearchResponse["mode"];

/** Figures at one corpus size. */
export interface SearchSize {
  entries: number;
  /** Passage vectors held (entries × passages per entry). */
  passages: number;
  /** Entries/s of the bulk load through `POST /api/entries/batch`. */
  bulkWriteEntriesPerSec: number;
  /** Rows/s of the direct vector insert. */
  vectorSeedRowsPerSec: number;
  /** The first semantic query after a restart: loads every vector into the isolate. */
  coldSemanticMs: number;
  latencyMs: Record<Mode, Summary>;
  /** Queries that found nothing (keyword queries of rare words can). */
  emptyResults: Record<Mode, number>;
  semanticCoverage: number;
  /** Status with all rows done (steady state) and with the newly loaded rows still pending. */
  statusMs: Summary;
  statusPendingMs: Summary;
  statusPendingRows: number;
  /** workerd's RSS after the queries (the vector index lives in the isolate). */
  workerdRssMiB: number | null;
}

/** What the scenario reports. */
export interface SearchResult {
  method: string;
  bodyWords: number;
  queriesPerMode: number;
  limit: number;
  sizes: SearchSize[];
}

const KB = "search";
const LIMIT = 10;
const MODES: Mode[] = ["keyword", "semantic", "hybrid"];

async function timeStatus(api: BenchClient, samples: number): Promise<Summary> {
  const times: number[] = [];
  for (let i = 0; i < samples + 5; i++) {
    const answer = await timed(api.http.api.index["embed-status"].$get({ query: {} }));
    if (answer.status !== 200) throw new Error(`status answered ${answer.status}`);
    if (i >= 5) times.push(answer.ms);
  }
  return summarize(times);
}

function assertState(status: EmbedStatus, entries: number, embedded: number, pending: number) {
  if (status.entries !== entries || status.embedded !== embedded || status.pending !== pending) {
    throw new Error(
      `unexpected state: entries=${status.entries} embedded=${status.embedded} pending=${status.pending}, expected ${entries}/${embedded}/${pending}`,
    );
  }
}

/** Runs the scenario. */
export async function runSearch(options: {
  plan: Plan;
  pool: ServerPool;
  modelDir: string;
  raw: RawEmbedder;
  log: (line: string) => void;
}): Promise<SearchResult> {
  const { plan, pool, modelDir, log } = options;
  const spec = searchServer();
  const stateDir = pool.stateDir(spec.name);
  const info = await options.raw.describe();
  const model = fingerprintKey(info.model);
  const dims = info.model.dims;
  const make = (i: number) => makeEntry(plan.seed + 99, i, plan.search.bodyWords, "s");
  const queries = makeQueries(plan.seed + 5, plan.search.queries + plan.search.warmup);
  // The first start may have been prepared by the pool; restarts (after storing vectors) are ours.
  let prepared = true;
  const start = () => {
    if (prepared) {
      prepared = false;
      return pool.take(spec.name, spec.vars);
    }
    return startServer({ stateDir, modelDir, vars: spec.vars });
  };
  const sizes: SearchSize[] = [];
  let have = 0;
  let server: BenchServer | undefined;
  try {
    for (const size of plan.search.sizes) {
      // 1. The entries, through the API, with the worker paused: they queue as pending.
      server = await start();
      let api = new BenchClient(server.url);
      const before = await embedStatus(api);
      if (before.model !== model) {
        throw new Error(`the server's model is ${before.model}, the bench's ${model}`);
      }
      await setWorker(api, "pause");
      log(`search: loading entries ${have}..${size}`);
      const bulk = await bulkCreate(api, KB, size - have, make, have);
      assertState(await embedStatus(api), size, have, size - have);
      const statusPendingMs = await timeStatus(api, plan.search.statusSamples);
      api.close();
      await server.stop();
      server = undefined;

      // 2. Their vectors, straight into D1 while the server is stopped.
      log(`search: storing ${size - have} vectors directly`);
      const ids = Array.from({ length: size - have }, (_, i) => make(have + i).id);
      const seeded = await seedVectors({
        stateDir,
        kb: KB,
        ids,
        model,
        dims,
        seed: plan.seed + size,
        passages: plan.search.passagesPerEntry,
      });

      // 3. Restart, resume, and measure.
      server = await start();
      api = new BenchClient(server.url);
      await setWorker(api, "resume");
      assertState(await embedStatus(api), size, size, 0);
      const q = (mode: Mode, text: string) =>
        timed(api.http.api.search.$get({ query: { q: text, mode, limit: String(LIMIT) } }));
      const cold = await q("semantic", queries[0] ?? "note");
      if (cold.error) throw new Error(`search answered ${cold.status}: ${cold.error.message}`);
      for (const text of queries.slice(0, plan.search.warmup)) {
        for (const mode of MODES) await q(mode, text);
      }
      log(`search: ${size} entries, ${plan.search.queries} queries per mode`);
      const samples: Record<Mode, number[]> = { keyword: [], semantic: [], hybrid: [] };
      const empty: Record<Mode, number> = { keyword: 0, semantic: 0, hybrid: 0 };
      let coverage = 0;
      for (const text of queries.slice(plan.search.warmup)) {
        for (const mode of MODES) {
          const answer = await q(mode, text);
          if (answer.error) {
            throw new Error(`${mode} search answered ${answer.status}: ${answer.error.message}`);
          }
          const body = answer.body;
          samples[mode].push(answer.ms);
          if (body.results.length === 0) empty[mode]++;
          if (mode === "semantic") coverage = body.semantic_coverage?.ratio ?? 0;
        }
      }
      if (coverage < 1) throw new Error(`semantic search saw coverage ${coverage}, expected 1`);
      const statusMs = await timeStatus(api, plan.search.statusSamples);
      const workerd = server.workerdPid();
      const memory = workerd === undefined ? undefined : readMemory(workerd);
      sizes.push({
        entries: size,
        passages: size * plan.search.passagesPerEntry,
        bulkWriteEntriesPerSec: fixed(bulk.entriesPerSec, 1),
        vectorSeedRowsPerSec: fixed(
          (seeded.written * plan.search.passagesPerEntry) / seeded.seconds,
          1,
        ),
        coldSemanticMs: fixed(cold.ms, 2),
        latencyMs: {
          keyword: summarize(samples.keyword),
          semantic: summarize(samples.semantic),
          hybrid: summarize(samples.hybrid),
        },
        emptyResults: empty,
        semanticCoverage: coverage,
        statusMs,
        statusPendingMs,
        statusPendingRows: size - have,
        workerdRssMiB: memory ? fixed(memory.rssKiB / 1024, 1) : null,
      });
      api.close();
      await server.stop();
      server = undefined;
      have = size;
    }
  } finally {
    await server?.stop();
  }
  return {
    method:
      "entries created via POST /api/entries/batch (worker paused); vectors stored directly into " +
      `the stopped server's D1 SQLite by a helper worker on its own Miniflare (${plan.search.passagesPerEntry} passages per entry, random unit vectors ` +
      "tagged with the active model's fingerprint, entry's content hash; queue rows marked done); " +
      `server restarted; GET /api/search?mode=…&limit=${LIMIT} sequential, modes rotating, no kb ` +
      "filter; status = GET /api/index/embed-status sequential",
    bodyWords: plan.search.bodyWords,
    queriesPerMode: plan.search.queries,
    limit: LIMIT,
    sizes,
  };
}
