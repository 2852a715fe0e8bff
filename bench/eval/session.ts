/**
 * One evaluation server: the real local server (bench/lib/server.ts, what `npm start` runs) on a
 * state directory of its own, started with the settings asked for, the eval KBs imported through
 * the importer `pyrite import` runs, the embedding queue drained, and the query set's judgments
 * checked against what the server actually holds. What the server says it runs (model, provider,
 * mode, anything about passages) is read back from its status and health endpoints, never assumed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTestModel } from "../../scripts/model/generate.js";
import { ApiCallError, ok } from "../../src/contract/client.js";
import { httpSender } from "../../src/import/http-sender.js";
import { importKbs } from "../../src/import/import-kbs.js";
import { readKbs } from "../../src/import/read-kb.js";
import type { EmbedStatus, Entry } from "../../src/shared/api-types.js";
import { BenchClient, waitForDrain } from "../lib/client.js";
import { type BenchServer, startServer } from "../lib/server.js";
import { kbOf, type QuerySet } from "./query-set.js";

/** What one run asks of the server. */
export interface RunSettings {
  /**
   * `auto` (the server's own resolution: PYRITE_MODEL unset), `hash` (EMBED_PROVIDER=hash),
   * `test` / `minilm` (the generated random-weight models), or anything else as PYRITE_MODEL
   * (a model directory, a hub id, or a provider name the server knows).
   */
  model: string;
  /** EMBED_PASSAGES, when asked for; unset leaves the server's default. */
  passages?: "on" | "off";
  /** Further `[vars]` / environment settings (`--set KEY=VALUE`), e.g. HYBRID_SEMANTIC_WEIGHT. */
  set: Record<string, string>;
}

/** The environment a run's server gets on top of the bench defaults. */
export async function serverVars(settings: RunSettings): Promise<Record<string, string>> {
  const vars: Record<string, string> = { EMBED_MODE: "background" };
  if (settings.model === "hash") {
    Object.assign(vars, { EMBED_PROVIDER: "hash", PYRITE_MODEL: "" });
  } else if (settings.model === "auto") {
    vars.PYRITE_MODEL = "";
  } else if (settings.model === "test" || settings.model === "minilm") {
    const size = settings.model === "test" ? "tiny" : "minilm";
    vars.PYRITE_MODEL = (await generateTestModel({ size })).dir;
  } else {
    vars.PYRITE_MODEL = settings.model;
  }
  if (settings.passages !== undefined) vars.EMBED_PASSAGES = settings.passages;
  return { ...vars, ...settings.set };
}

/** What the server reported about itself once the queue was drained. */
export interface ServerFacts {
  status: EmbedStatus;
  health: Record<string, unknown>;
  import: { imported: number; skipped: number; queued: number; seconds: number };
  /** From the end of the import until the queue was first seen empty. */
  drain: { seconds: number };
}

/** A ready server with the eval KBs imported and embedded. */
export interface EvalSession {
  api: BenchClient;
  server: BenchServer;
  /** The settings the server was started with (on top of the bench's defaults). */
  vars: Record<string, string>;
  facts: ServerFacts;
  /** Title of every judged entry (`kb/id` → title), read from the server. */
  titles: Map<string, string>;
  close(): Promise<void>;
}

/**
 * Checks every judged entry exists on the server and every answer's evidence starts at its
 * recorded offset; throws listing what does not hold (the query set no longer matches the corpus).
 */
async function verifyJudgments(api: BenchClient, set: QuerySet): Promise<Map<string, string>> {
  const keys = new Set(set.queries.flatMap((q) => Object.keys(q.relevant)));
  const entries = new Map<string, Entry>();
  const problems: string[] = [];
  for (const key of keys) {
    const id = key.slice(key.indexOf("/") + 1);
    try {
      const read = api.http.api.entries[":id"].$get({
        param: { id: encodeURIComponent(id) },
        query: { kb: kbOf(key) },
      });
      entries.set(key, (await ok(read)).entry);
    } catch (error) {
      if (!(error instanceof ApiCallError)) throw error;
      problems.push(`${key}: HTTP ${error.status} ${error.code}: ${error.message}`);
    }
  }
  for (const q of set.queries) {
    const body = entries.get(q.answer.entry)?.body;
    if (body !== undefined && !body.startsWith(q.answer.evidence, q.answer.offset)) {
      problems.push(
        `${q.id}: "${q.answer.evidence}" is not at ${q.answer.offset} of ${q.answer.entry}`,
      );
    }
  }
  if (problems.length > 0)
    throw new Error(`the query set does not match the server:\n${problems.join("\n")}`);
  return new Map([...entries].map(([key, entry]) => [key, entry.title]));
}

/** Starts a server, imports `set.kbs` from `corpusDir`, drains, verifies. */
export async function openSession(options: {
  settings: RunSettings;
  set: QuerySet;
  corpusDir: string;
  drainTimeoutMs: number;
  log: (line: string) => void;
  /** Leave the state directory (D1, passages, vectors) on disk for offline study. */
  keepState?: boolean;
}): Promise<EvalSession> {
  const { settings, set, corpusDir, log } = options;
  const stateDir = await mkdtemp(join(tmpdir(), "pyrite-eval-"));
  const vars = await serverVars(settings);
  log(`server: starting with ${JSON.stringify(vars)}`);
  const server = await startServer({ stateDir, modelDir: "", vars, startTimeoutMs: 180_000 });
  const api = new BenchClient(server.url);
  const close = async () => {
    api.close();
    await server.stop();
    if (options.keepState) log(`state kept in ${stateDir}`);
    else await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const t0 = performance.now();
    const kbs = await readKbs(set.kbs.map((kb) => join(corpusDir, kb)));
    const missing = set.kbs.filter((name) => !kbs.some((kb) => kb.name === name));
    if (missing.length > 0)
      throw new Error(`KBs not found under ${corpusDir}: ${missing.join(", ")}`);
    const report = await importKbs(kbs, {
      send: httpSender(`${server.url}/api/entries/batch`),
      mode: "upsert",
      dryRun: false,
    });
    const sum = (pick: (kb: (typeof report.kbs)[number]) => number) =>
      report.kbs.reduce((n, kb) => n + pick(kb), 0);
    const imported = {
      imported: sum((kb) => kb.imported),
      skipped: sum((kb) => kb.skipped.length),
      queued: sum((kb) => kb.queued),
      seconds: (performance.now() - t0) / 1000,
    };
    log(
      `import: ${imported.imported} entries (${imported.skipped} skipped), ${imported.queued} queued`,
    );
    // A queue that does not drain fails the run: figures over a half-embedded corpus would not
    // compare with anything.
    const drainStarted = performance.now();
    const drained = await waitForDrain(api, { timeoutMs: options.drainTimeoutMs, pollMs: 250 });
    const drainSeconds = (drained.at - drainStarted) / 1000;
    log(`drain: complete after ${drainSeconds.toFixed(1)} s`);
    const health = await ok(api.http.health.$get());
    const titles = await verifyJudgments(api, set);
    return {
      api,
      server,
      vars,
      titles,
      close,
      facts: {
        status: drained.status,
        health,
        import: imported,
        drain: { seconds: drainSeconds },
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
