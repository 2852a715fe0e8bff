/**
 * The real-corpus scenario (`--corpus DIR...`): pyrite KB folders imported into a real local
 * server through the code `pyrite import` runs (src/import: read the folders, then
 * `POST /api/entries/batch` over HTTP), with the worker paused so the import is timed alone; then
 * the drain of what it queued (bounded by a timeout, partial figures if it is hit) beside the raw
 * embedder on a sample of the same texts, a re-import with nothing changed, and freshness on
 * updates of corpus entries.
 */
import { embeddedText } from "../../src/domain/content.js";
import { httpSender } from "../../src/import/http-sender.js";
import { type ImportReport, importKbs } from "../../src/import/import-kbs.js";
import { type KbRead, readKbs } from "../../src/import/read-kb.js";
import type { ImportEntry } from "../../src/import/to-entry.js";
import type { EmbedStatus } from "../../src/shared/api-types.js";
import { BenchClient, embedStatus, setWorker, timed, waitForDrain } from "../lib/client.js";
import { corpusBytes, groupReasons, sampleIndexes } from "../lib/corpus-files.js";
import { measureCpu } from "../lib/cpu.js";
import { EventListener } from "../lib/events.js";
import { type MemoryPeak, sampleMemory } from "../lib/memory.js";
import type { Plan } from "../lib/plan.js";
import type { RawEmbedder } from "../lib/raw-embedder.js";
import type { ServerPool } from "../lib/server-pool.js";
import type { ServerSpec } from "../lib/servers.js";
import { fixed, type Summary, summarize } from "../lib/stats.js";

/** The corpus the project measures on, and how its content must be attributed. */
export const CORPUS_NOTE = "markramm/pyrite-kb-demo, CC BY-SA 4.0";

/** How much of the corpus scenario a run does. */
interface CorpusPlan {
  /** The drain is cut off after this long; the figures are then partial. */
  drainTimeoutMs: number;
  rawSample: number;
  freshness: { samples: number; warmup: number };
}

const FULL: CorpusPlan = {
  drainTimeoutMs: 240_000,
  rawSample: 400,
  freshness: { samples: 30, warmup: 3 },
};
const QUICK: CorpusPlan = {
  drainTimeoutMs: 30_000,
  rawSample: 60,
  freshness: { samples: 6, warmup: 1 },
};

/** The corpus scenario's server: background, at the primary batch size, state of its own. */
export function corpusServer(plan: Plan): ServerSpec {
  return {
    name: "corpus",
    vars: { EMBED_MODE: "background", EMBED_BATCH_SIZE: String(plan.drain.primaryBatchSize) },
  };
}

/** One import's totals. */
export interface ImportFigures {
  kbs: number;
  files: number;
  /** Bytes of the markdown files read. */
  bytes: number;
  readSeconds: number;
  sendSeconds: number;
  /** Read + send: what `pyrite import` takes. */
  seconds: number;
  imported: number;
  created: number;
  updated: number;
  unchanged: number;
  queued: number;
  skipped: number;
  /** Skip reasons with their specifics (sizes, ids, paths) masked, counted. */
  skippedByReason: Record<string, number>;
  warnings: number;
  warningsByKind: Record<string, number>;
  entriesPerSec: number;
  mbPerSec: number;
  /** Entries/s of the sending alone (the batch endpoint, as the importer drives it). */
  sendEntriesPerSec: number;
}

/** What the scenario reports. */
export interface CorpusResult {
  method: string;
  corpus: { name: string; license: string; dirs: string[] };
  batchSize: number;
  import: ImportFigures;
  /** Every skipped file, with the importer's reason. */
  skippedFiles: { path: string; reason: string }[];
  perKb: { name: string; files: number; imported: number; skipped: number; warnings: number }[];
  drain: {
    queued: number;
    timeoutSeconds: number;
    /** False when the timeout cut the drain off: the figures below are then partial. */
    complete: boolean;
    seconds: number;
    done: number;
    failed: number;
    pending: number;
    processing: number;
    truncated: number;
    entriesPerSec: number;
    rawSampleTexts: number;
    /** null when the raw embedder refused the sample (`rawError` says why). */
    rawTextsPerSec: number | null;
    ratio: number | null;
    rawError?: string;
    /** The worker's last embedding error, as the status reports it. */
    lastError: unknown;
    /** Characters of the embedded texts: the whole imported corpus, and the raw sample. */
    meanChars: { corpus: number; rawSample: number };
    memory: Record<string, MemoryPeak>;
    cpuMsPerEntry: Record<string, number>;
  };
  reimport: ImportFigures;
  freshness:
    | {
        samples: number;
        ackToEventMs: Summary;
        rawSingleEmbedMs: Summary;
        overheadP50Ms: number;
        meanChars: number;
      }
    | { skipped: string };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const textOf = (e: ImportEntry) =>
  embeddedText({ title: e.title, summary: e.summary ?? "", body: e.body });

async function timedImport(
  dirs: string[],
  url: string,
  log: (line: string) => void,
): Promise<{ figures: ImportFigures; kbs: KbRead[]; report: ImportReport }> {
  const t0 = performance.now();
  const kbs = await readKbs(dirs);
  const t1 = performance.now();
  let lastLogged = 0;
  const report = await importKbs(kbs, {
    send: httpSender(url),
    mode: "upsert",
    dryRun: false,
    onProgress: (done, total) => {
      if (performance.now() - lastLogged < 10_000) return;
      lastLogged = performance.now();
      log(`corpus: import ${done}/${total}`);
    },
  });
  const t2 = performance.now();
  const sum = (pick: (kb: ImportReport["kbs"][number]) => number) =>
    report.kbs.reduce((n, kb) => n + pick(kb), 0);
  const bytes = await corpusBytes(kbs.flatMap((kb) => kb.dirs));
  const seconds = (t2 - t0) / 1000;
  const sendSeconds = (t2 - t1) / 1000;
  const imported = sum((kb) => kb.imported);
  const skipped = report.kbs.flatMap((kb) => kb.skipped);
  const warnings = report.kbs.flatMap((kb) => kb.warnings);
  return {
    kbs,
    report,
    figures: {
      kbs: report.kbs.length,
      files: sum((kb) => kb.files),
      bytes,
      readSeconds: fixed((t1 - t0) / 1000),
      sendSeconds: fixed(sendSeconds),
      seconds: fixed(seconds),
      imported,
      created: sum((kb) => kb.created),
      updated: sum((kb) => kb.updated),
      unchanged: sum((kb) => kb.unchanged),
      queued: sum((kb) => kb.queued),
      skipped: skipped.length,
      skippedByReason: groupReasons(skipped.map((s) => s.reason)),
      warnings: warnings.length,
      warningsByKind: groupReasons(warnings.map((w) => w.message)),
      entriesPerSec: fixed(imported / seconds, 1),
      mbPerSec: fixed(bytes / 1024 ** 2 / seconds),
      sendEntriesPerSec: fixed(imported / sendSeconds, 1),
    },
  };
}

/**
 * Polls until nothing is pending or processing, or until `timeoutMs`; never throws for the
 * timeout (the caller reports partial figures).
 */
async function drainOrTimeout(
  api: BenchClient,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<{ status: EmbedStatus; at: number; complete: boolean }> {
  const deadline = performance.now() + timeoutMs;
  let lastLogged = performance.now();
  for (;;) {
    const status = await embedStatus(api);
    const at = performance.now();
    if (status.pending === 0 && status.processing === 0) return { status, at, complete: true };
    if (at > deadline) return { status, at, complete: false };
    if (at - lastLogged > 15_000) {
      lastLogged = at;
      log(`corpus: drain ${status.done} done, ${status.pending + status.processing} to go`);
    }
    await sleep(100);
  }
}

/** Runs the scenario on `dirs` (each a KB folder or a folder of KBs). */
export async function runCorpus(options: {
  dirs: string[];
  plan: Plan;
  pool: ServerPool;
  raw: RawEmbedder;
  log: (line: string) => void;
}): Promise<CorpusResult> {
  const { dirs, plan, pool, raw, log } = options;
  const cp = plan.quick ? QUICK : FULL;
  const spec = corpusServer(plan);
  const batchSize = plan.drain.primaryBatchSize;
  const server = await pool.take(spec.name, spec.vars);
  const api = new BenchClient(server.url);
  const batchUrl = `${server.url}/api/entries/batch`;
  try {
    await setWorker(api, "pause");
    const first = await timedImport(dirs, batchUrl, log);
    const imp = first.figures;
    log(
      `corpus: imported ${imp.imported} entries (${imp.skipped} skipped) in ${imp.seconds} s, ` +
        `${imp.entriesPerSec}/s, ${imp.mbPerSec} MB/s; ${imp.queued} queued`,
    );

    const entries = first.kbs.flatMap((kb) => kb.entries.map((e) => ({ kb: kb.name, ...e })));
    const texts = entries.map((e) => textOf(e.entry));
    const meanChars = (list: string[]) =>
      Math.round(list.reduce((n, t) => n + t.length, 0) / Math.max(1, list.length));
    const sample = sampleIndexes(texts.length, cp.rawSample, plan.seed).map((i) => texts[i] ?? "");
    const half = Math.floor(sample.length / 2);
    log(`corpus: raw embedder on ${half} of ${sample.length} sample texts (first half)`);
    // The raw embedder may refuse real texts the synthetic ones never exercised: that is a
    // finding, reported beside the drain's figures, not a reason to stop measuring.
    let rawError: string | undefined;
    const rawRun = async (texts: string[]) =>
      rawError === undefined
        ? raw.throughput(texts, batchSize).catch((error: unknown) => {
            rawError = error instanceof Error ? error.message : String(error);
            return Number.NaN;
          })
        : Number.NaN;
    const rawBefore = await rawRun(sample.slice(0, half));

    const pids = { launcher: server.pid, workerd: server.workerdPid() };
    const memory = sampleMemory(pids);
    const cpu = measureCpu(pids);
    const doneBefore = (await embedStatus(api)).done;
    const started = performance.now();
    await setWorker(api, "resume");
    const drained = await drainOrTimeout(api, cp.drainTimeoutMs, log);
    const cpuSeconds = cpu.stop();
    const peaks = memory.stop();
    const drainSeconds = (drained.at - started) / 1000;
    const embeddedNow = drained.status.done - doneBefore;
    log(
      `corpus: drain ${drained.complete ? "complete" : "CUT OFF by the timeout"}: ` +
        `${embeddedNow} in ${drainSeconds.toFixed(1)} s; raw embedder, second half`,
    );
    // A drain cut off goes on in the background; pausing keeps it off what is measured next.
    if (!drained.complete) await setWorker(api, "pause");
    const rawAfter = await rawRun(sample.slice(half));
    const rawTextsPerSec = rawError === undefined ? sample.length / (rawBefore + rawAfter) : null;
    const drainPerSec = embeddedNow / drainSeconds;

    log("corpus: re-import, nothing changed");
    const again = await timedImport(dirs, batchUrl, log);
    log(
      `corpus: re-import ${again.figures.seconds} s: ${again.figures.unchanged} unchanged, ` +
        `${again.figures.queued} queued`,
    );

    let freshness: CorpusResult["freshness"];
    if (!drained.complete) {
      freshness = { skipped: "the drain did not finish in time, so the system was never idle" };
    } else {
      freshness = await measureFreshness({ api, url: server.url, entries, cp, raw, plan });
    }

    return {
      method:
        "real local server (EMBED_MODE background, its own state); worker paused; the folders " +
        "read and sent by src/import (readKbs + importKbs + httpSender: what `pyrite import` " +
        "runs, minus the progress bar), upsert, import time = reading + sending; worker resumed, " +
        "drain = resume answered → first status with pending = processing = 0 (polled every " +
        "100 ms), cut off after the timeout; raw = the embedder in a process of its own on a " +
        "seeded sample of the imported texts at the same batch size, half before and half after " +
        "the drain; re-import of the same folders after the drain; freshness: PATCH of a " +
        "seeded sample of corpus entries (body prefixed with a revision line), ack → " +
        "embed_complete on /ws, idle between samples, beside the raw single-text embed of the " +
        "same new text",
      corpus: { name: corpusName(dirs), license: CORPUS_NOTE, dirs },
      batchSize,
      import: imp,
      skippedFiles: first.report.kbs.flatMap((kb) => kb.skipped),
      perKb: first.report.kbs.map((kb) => ({
        name: kb.name,
        files: kb.files,
        imported: kb.imported,
        skipped: kb.skipped.length,
        warnings: kb.warnings.length,
      })),
      drain: {
        queued: imp.queued,
        timeoutSeconds: cp.drainTimeoutMs / 1000,
        complete: drained.complete,
        seconds: fixed(drainSeconds),
        done: drained.status.done,
        failed: drained.status.failed,
        pending: drained.status.pending,
        processing: drained.status.processing,
        truncated: drained.status.truncated,
        entriesPerSec: fixed(drainPerSec),
        rawSampleTexts: sample.length,
        rawTextsPerSec: rawTextsPerSec === null ? null : fixed(rawTextsPerSec),
        ratio: rawTextsPerSec === null ? null : fixed(drainPerSec / rawTextsPerSec, 3),
        ...(rawError === undefined ? {} : { rawError }),
        lastError: drained.status.last_error ?? null,
        meanChars: { corpus: meanChars(texts), rawSample: meanChars(sample) },
        memory: peaks,
        cpuMsPerEntry: Object.fromEntries(
          Object.entries(cpuSeconds).map(([name, s]) => [
            name,
            fixed((s * 1000) / Math.max(1, embeddedNow)),
          ]),
        ),
      },
      reimport: again.figures,
      freshness,
    };
  } finally {
    api.close();
  }
}

async function measureFreshness(options: {
  api: BenchClient;
  url: string;
  entries: { kb: string; entry: ImportEntry }[];
  cp: CorpusPlan;
  raw: RawEmbedder;
  plan: Plan;
}): Promise<CorpusResult["freshness"]> {
  const { api, entries, cp, raw } = options;
  const total = cp.freshness.warmup + cp.freshness.samples;
  const picks = sampleIndexes(entries.length, total, options.plan.seed + 1);
  const listener = await EventListener.connect(options.url);
  const fresh: number[] = [];
  const rawMs: number[] = [];
  const chars: number[] = [];
  try {
    for (const [n, index] of picks.entries()) {
      const item = entries[index];
      if (!item) continue;
      const body = `Revision ${n + 1} (bench).\n\n${item.entry.body}`;
      const rawElapsed = await raw.single(textOf({ ...item.entry, body }));
      await sleep(50);
      listener.clear();
      const answer = await timed(
        api.http.api.entries[":id"].$patch({
          param: { id: encodeURIComponent(item.entry.id) },
          query: { kb: item.kb },
          header: {},
          json: { body },
        }),
      );
      // The edit is acknowledged once its answer is read.
      const ackAt = performance.now();
      if (answer.error) {
        throw new Error(
          `PATCH ${item.kb}/${item.entry.id} answered ${answer.status} ${answer.error.code}: ${answer.error.message}`,
        );
      }
      const event = await listener.waitFor(
        (m) => m.type === "embed_complete" && m.entry_id === item.entry.id && m.kb_name === item.kb,
        60_000,
      );
      if (n >= cp.freshness.warmup) {
        fresh.push(event.at - ackAt);
        rawMs.push(rawElapsed);
        chars.push(textOf({ ...item.entry, body }).length);
      }
      await waitForDrain(api, { timeoutMs: 60_000 });
      await sleep(100);
    }
  } finally {
    await listener.close();
  }
  const ackToEventMs = summarize(fresh);
  const rawSingleEmbedMs = summarize(rawMs);
  return {
    samples: fresh.length,
    ackToEventMs,
    rawSingleEmbedMs,
    overheadP50Ms: fixed(ackToEventMs.p50 - rawSingleEmbedMs.p50),
    meanChars: Math.round(chars.reduce((a, b) => a + b, 0) / Math.max(1, chars.length)),
  };
}

function corpusName(dirs: string[]): string {
  return dirs.map((d) => d.replace(/\/+$/, "").split("/").pop() ?? d).join(", ");
}
