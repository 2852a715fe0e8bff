/**
 * Scenario 3, freshness of a one-section edit: on an otherwise idle server, a long note (several
 * `##` sections, already embedded) has one section rewritten per sample (PATCH of its body); the
 * time from the edit's acknowledgement (its answer fully read) to its `embed_complete` arriving on
 * a WebSocket connected beforehand, and how many passages the event says were embedded (the rest
 * reuse their vectors). Interleaved with it, the raw embed of what the edit changed: the passages
 * whose input (context + text, split as the server splits) differ from the previous version, in
 * one call of the same embedder in a process of its own (raw-embedder.ts), on the same machine.
 */

import { ok } from "../../src/contract/client.js";
import { passageInput, splitEntry } from "../../src/passages/split.js";
import { BenchClient, waitForDrain } from "../lib/client.js";
import { EventListener } from "../lib/events.js";
import type { Plan } from "../lib/plan.js";
import type { RawEmbedder } from "../lib/raw-embedder.js";
import { bodyOf, editSection, type SectionedNote, sectionedNote } from "../lib/sectioned-note.js";
import type { ServerPool } from "../lib/server-pool.js";
import { mainServer } from "../lib/servers.js";
import { fixed, type Summary, summarize } from "../lib/stats.js";

/** What the scenario reports. */
export interface FreshnessResult {
  method: string;
  /** The note's sections, words per section, and passages (as the server split it). */
  note: { sections: number; sectionWords: number; passages: number };
  samples: number;
  /** Edit acknowledged → embed_complete received. */
  ackToEventMs: Summary;
  /** Raw embedder, the edit's changed passages (with their context) in one call. */
  rawSingleEmbedMs: Summary;
  /** ackToEvent p50 − raw p50: what the pipeline adds. */
  overheadP50Ms: number;
  /** Passages each edit's `embed_complete` said were embedded: the most of any sample, and p50. */
  passagesEmbedded: { max: number; p50: number };
  /** Passages the client-side split says each edit changed, the most of any sample. */
  passagesChangedMax: number;
}

const KB = "fresh";
const NOTE_ID = "long-note";
/** Ten sections of ~70 words: each section is one passage at a 256- or 128-token window. */
const SECTIONS = 10;
const SECTION_WORDS = 70;
const EVENT_TIMEOUT_MS = 60_000;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Runs the scenario. */
export async function runFreshness(options: {
  plan: Plan;
  pool: ServerPool;
  raw: RawEmbedder;
  log: (line: string) => void;
}): Promise<FreshnessResult> {
  const { plan, raw, log } = options;
  const spec = mainServer(plan);
  // Shared with the drain before and the load test after (each in its own KB); idle here.
  const server = await options.pool.take(spec.name, spec.vars);
  const api = new BenchClient(server.url);
  const listener = await EventListener.connect(server.url);
  const info = await raw.describe();
  const inputs = (note: SectionedNote) =>
    splitEntry(
      { title: note.title, summary: note.summary, body: bodyOf(note) },
      { windowTokens: info.maxTokens, tokensPerWord: info.tokensPerWord, passages: true },
    ).map(passageInput);
  try {
    let note = sectionedNote(plan.seed + 7, NOTE_ID, SECTIONS, SECTION_WORDS);
    const created = await ok(
      api.http.api.entries.$post({
        json: {
          kb: KB,
          id: note.id,
          title: note.title,
          summary: note.summary,
          tags: note.tags,
          body: bodyOf(note),
        },
      }),
    );
    await listener.waitFor(
      (m) => m.type === "embed_complete" && m.content_hash === created.entry.content_hash,
      EVENT_TIMEOUT_MS,
    );
    await waitForDrain(api, { timeoutMs: EVENT_TIMEOUT_MS });
    const passages = inputs(note).length;
    log(`freshness: ${note.id} embedded as ${passages} passages; editing one section per sample`);
    const fresh: number[] = [];
    const rawMs: number[] = [];
    const embedded: number[] = [];
    let changedMax = 0;
    const total = plan.freshness.warmup + plan.freshness.samples;
    for (let i = 0; i < total; i++) {
      const edited = editSection(note, plan.seed + 7, i, SECTION_WORDS);
      const before = new Set(inputs(note));
      const changed = inputs(edited).filter((input) => !before.has(input));
      const rawElapsed = (await raw.throughput(changed, Math.max(1, changed.length))) * 1000;
      // Let the machine settle between the raw call and the write.
      await sleep(50);
      // The edit is acknowledged once its answer is read (ok() throws for any but a 2xx).
      const answer = await ok(
        api.http.api.entries[":id"].$patch({
          param: { id: NOTE_ID },
          query: { kb: KB },
          header: {},
          json: { body: bodyOf(edited) },
        }),
      );
      const ackAt = performance.now();
      const hash = answer.entry.content_hash;
      const event = await listener.waitFor(
        (m) => m.type === "embed_complete" && m.content_hash === hash,
        EVENT_TIMEOUT_MS,
      );
      if (event.message.type !== "embed_complete") throw new Error("not an embed_complete");
      if (i >= plan.freshness.warmup) {
        fresh.push(event.at - ackAt);
        rawMs.push(rawElapsed);
        embedded.push(event.message.passages.embedded);
        changedMax = Math.max(changedMax, changed.length);
      }
      note = edited;
      // Idle between samples: the worker's loop has re-armed and gone back to sleep.
      await waitForDrain(api, { timeoutMs: EVENT_TIMEOUT_MS });
      await sleep(100);
    }
    const ackToEventMs = summarize(fresh);
    const rawSingleEmbedMs = summarize(rawMs);
    return {
      method:
        `background server, one WebSocket on /ws; a ${SECTIONS}-section note (~${SECTION_WORDS} ` +
        "words a section) created and embedded first; per sample: raw embed of the passages the " +
        "edit changes (with their context, split as the server splits) in the raw embedder's " +
        "process, then PATCH of the body with one section rewritten; latency = embed_complete " +
        "arrival − answer read; idle (drained, 100 ms) between samples",
      note: { sections: SECTIONS, sectionWords: SECTION_WORDS, passages },
      samples: fresh.length,
      ackToEventMs,
      rawSingleEmbedMs,
      overheadP50Ms: fixed(ackToEventMs.p50 - rawSingleEmbedMs.p50, 2),
      passagesEmbedded: { max: Math.max(0, ...embedded), p50: summarize(embedded).p50 },
      passagesChangedMax: changedMax,
    };
  } finally {
    await listener.close();
    api.close();
  }
}
