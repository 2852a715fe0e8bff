/**
 * Scenario 2 (drain throughput) and 6 (memory). Per batch size: a server with that
 * EMBED_BATCH_SIZE, its worker paused while N entries are created through the batch endpoint,
 * then resumed; the drain is timed from the resume's answer until the status first shows nothing
 * pending or processing. The unit is the passage (what the worker embeds): the raw embedder runs
 * the same passage inputs the server embeds (split here with the server's splitter and the
 * model's window) at the same batch size, half just before the drain and half just after, so a change in the machine's load
 * during the run falls on both. During the drain, the launcher (Node: Miniflare host + embedder)
 * and workerd are sampled for RSS every 100 ms and their CPU seconds counted.
 */
import { passageInput, splitEntry } from "../../src/passages/split.js";
import { bulkCreate } from "../lib/bulk.js";
import { BenchClient, setWorker, waitForDrain } from "../lib/client.js";
import { makeEntry } from "../lib/corpus.js";
import { measureCpu } from "../lib/cpu.js";
import { type MemoryPeak, sampleMemory } from "../lib/memory.js";
import type { Plan } from "../lib/plan.js";
import type { RawEmbedder } from "../lib/raw-embedder.js";
import type { ServerPool } from "../lib/server-pool.js";
import { drainServer } from "../lib/servers.js";
import { fixed } from "../lib/stats.js";

/** One batch size's figures. */
export interface DrainRun {
  batchSize: number;
  entries: number;
  /** Loading the entries through `POST /api/entries/batch` (worker paused). */
  bulkWriteEntriesPerSec: number;
  drainSeconds: number;
  pipelineEntriesPerSec: number;
  /** Passages the server embedded (its status), and the pipeline's passages per second. */
  passages: number;
  pipelinePassagesPerSec: number;
  rawTextsPerSec: number;
  /** pipeline passages/s / raw texts/s, on the same passage inputs. */
  ratio: number;
  memory: Record<string, MemoryPeak>;
  /** CPU seconds used during the drain, per process, and per entry in ms. */
  cpuSeconds: Record<string, number>;
  cpuMsPerEntry: Record<string, number>;
  final: { done: number; embedded: number; failed: number };
}

/** What the scenario reports. */
export interface DrainResult {
  method: string;
  bodyWords: number;
  runs: DrainRun[];
  primaryBatchSize: number;
}

const KB = "drain";

async function runOne(options: {
  plan: Plan;
  pool: ServerPool;
  raw: RawEmbedder;
  batchSize: number;
  log: (line: string) => void;
}): Promise<DrainRun> {
  const { plan, pool, raw, batchSize, log } = options;
  const count = plan.drain.entries[batchSize] ?? 500;
  const make = (i: number) => makeEntry(plan.seed + batchSize, i, plan.bodyWords, "d");
  const info = await raw.describe();
  const texts = Array.from({ length: count }, (_, i) =>
    splitEntry(make(i), {
      windowTokens: info.maxTokens,
      tokensPerWord: info.tokensPerWord,
      passages: true,
    }).map(passageInput),
  ).flat();
  const spec = drainServer(plan, batchSize);
  const server = await pool.take(spec.name, spec.vars);
  const api = new BenchClient(server.url);
  try {
    await setWorker(api, "pause");
    const bulk = await bulkCreate(api, KB, count, make);
    log(
      `drain b=${batchSize}: ${count} entries queued (${bulk.entriesPerSec.toFixed(0)}/s); raw embedder, first half`,
    );
    const half = Math.floor(texts.length / 2);
    const before = await raw.throughput(texts.slice(0, half), batchSize);

    const pids = { launcher: server.pid, workerd: server.workerdPid() };
    const memory = sampleMemory(pids);
    const cpu = measureCpu(pids);
    const started = performance.now();
    await setWorker(api, "resume");
    const { status, at } = await waitForDrain(api, { timeoutMs: 900_000, pollMs: 100 });
    const drainSeconds = (at - started) / 1000;
    const cpuSeconds = cpu.stop();
    const peaks = memory.stop();
    log(`drain b=${batchSize}: drained in ${drainSeconds.toFixed(1)} s; raw embedder, second half`);

    const after = await raw.throughput(texts.slice(half), batchSize);
    const rawTextsPerSec = texts.length / (before + after);
    const pipelineEntriesPerSec = count / drainSeconds;
    const pipelinePassagesPerSec = status.passages / drainSeconds;
    if (status.passages !== texts.length) {
      throw new Error(
        `drain b=${batchSize}: the server embedded ${status.passages} passages, the bench split ${texts.length}`,
      );
    }
    if (status.done !== count || status.failed !== 0 || status.embedded !== count) {
      throw new Error(
        `drain b=${batchSize} ended with done=${status.done} embedded=${status.embedded} failed=${status.failed}, expected ${count} done`,
      );
    }
    return {
      batchSize,
      entries: count,
      bulkWriteEntriesPerSec: fixed(bulk.entriesPerSec, 1),
      drainSeconds: fixed(drainSeconds, 2),
      pipelineEntriesPerSec: fixed(pipelineEntriesPerSec, 2),
      passages: status.passages,
      pipelinePassagesPerSec: fixed(pipelinePassagesPerSec, 2),
      rawTextsPerSec: fixed(rawTextsPerSec, 2),
      ratio: fixed(pipelinePassagesPerSec / rawTextsPerSec, 3),
      memory: peaks,
      cpuSeconds,
      cpuMsPerEntry: Object.fromEntries(
        Object.entries(cpuSeconds).map(([name, s]) => [name, fixed((s * 1000) / count, 2)]),
      ),
      final: { done: status.done, embedded: status.embedded, failed: status.failed },
    };
  } finally {
    api.close();
    // The primary batch size's server goes on to the freshness and load scenarios.
    if (spec.name !== "main") await pool.release(spec.name);
  }
}

/** Runs the scenario for every batch size of the plan. */
export async function runDrain(options: {
  plan: Plan;
  pool: ServerPool;
  raw: RawEmbedder;
  log: (line: string) => void;
}): Promise<DrainResult> {
  const runs: DrainRun[] = [];
  for (const batchSize of options.plan.drain.batchSizes) {
    runs.push(await runOne({ ...options, batchSize }));
  }
  return {
    method:
      "per EMBED_BATCH_SIZE: worker paused, N entries created via POST /api/entries/batch, worker " +
      "resumed; drain = resume answered → first status with pending = processing = 0 (polled every " +
      "100 ms). Raw = createTransformersEmbedder in a process of its own (same model dir, q8, 2 threads, same nice value as the server's embedder) " +
      "on the same passage inputs (the server's splitter, the model's window) at the same batch size, half before and half after the drain; the ratio is in passages/s",
    bodyWords: options.plan.bodyWords,
    runs,
    primaryBatchSize: options.plan.drain.primaryBatchSize,
  };
}
