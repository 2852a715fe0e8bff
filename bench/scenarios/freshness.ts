/**
 * Scenario 3, freshness: on an otherwise idle server, one write at a time; the time from the
 * write's acknowledgement (its answer fully read) to its `embed_complete` arriving on a WebSocket
 * connected beforehand. Interleaved with it, the raw single-text embed latency of the same text
 * (raw-embedder.ts: the same embedder in a process of its own), so both see the same machine.
 */
import { embeddedText } from "../../src/domain/content.js";
import { ApiClient, waitForDrain } from "../lib/client.js";
import { makeEntry } from "../lib/corpus.js";
import { EventListener } from "../lib/events.js";
import type { Plan } from "../lib/plan.js";
import type { RawEmbedder } from "../lib/raw-embedder.js";
import type { ServerPool } from "../lib/server-pool.js";
import { mainServer } from "../lib/servers.js";
import { fixed, type Summary, summarize } from "../lib/stats.js";

/** What the scenario reports. */
export interface FreshnessResult {
  method: string;
  bodyWords: number;
  samples: number;
  /** Write acknowledged → embed_complete received. */
  ackToEventMs: Summary;
  /** Raw embedder, one text (the same texts), in the bench process. */
  rawSingleEmbedMs: Summary;
  /** ackToEvent p50 − raw p50: what the pipeline adds. */
  overheadP50Ms: number;
}

const KB = "fresh";
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Runs the scenario. */
export async function runFreshness(options: {
  plan: Plan;
  pool: ServerPool;
  raw: RawEmbedder;
  log: (line: string) => void;
}): Promise<FreshnessResult> {
  const { plan, raw } = options;
  const spec = mainServer(plan);
  // Shared with the drain before and the load test after (each in its own KB); idle here.
  const server = await options.pool.take(spec.name, spec.vars);
  const api = new ApiClient(server.url);
  const listener = await EventListener.connect(server.url);
  try {
    const fresh: number[] = [];
    const rawMs: number[] = [];
    const total = plan.freshness.warmup + plan.freshness.samples;
    for (let i = 0; i < total; i++) {
      const entry = makeEntry(plan.seed + 7, i, plan.bodyWords, "f");
      const rawElapsed = await raw.single(embeddedText(entry));
      // Let the machine settle between the raw call and the write.
      await sleep(50);
      const answer = await api.call("POST", "/api/entries", { kb: KB, ...entry });
      const ackAt = performance.now();
      if (answer.status !== 201) throw new Error(`create answered ${answer.status}`);
      const event = await listener.waitFor(
        (m) => m.type === "embed_complete" && m.entry_id === entry.id,
        60_000,
      );
      if (i >= plan.freshness.warmup) {
        fresh.push(event.at - ackAt);
        rawMs.push(rawElapsed);
      }
      // Idle between samples: the worker's loop has re-armed and gone back to sleep.
      await waitForDrain(api, { timeoutMs: 60_000 });
      await sleep(100);
    }
    const ackToEventMs = summarize(fresh);
    const rawSingleEmbedMs = summarize(rawMs);
    return {
      method:
        "background server, one WebSocket on /ws; per sample: raw embed of the text in the raw " +
        "embedder's process, then POST /api/entries of that entry; latency = embed_complete arrival − answer " +
        "read; idle (drained, 100 ms) between samples",
      bodyWords: plan.bodyWords,
      samples: fresh.length,
      ackToEventMs,
      rawSingleEmbedMs,
      overheadP50Ms: fixed(ackToEventMs.p50 - rawSingleEmbedMs.p50, 2),
    };
  } finally {
    await listener.close();
    api.close();
  }
}
