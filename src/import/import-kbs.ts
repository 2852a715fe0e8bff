/**
 * Sends KBs read from disk to the API in batches and accounts for every file: imported (created,
 * updated or unchanged) or skipped with a reason. A batch the API refuses in part is resent
 * without the refused items, so one bad entry never costs its neighbours.
 */
import { createEntrySchema } from "../domain/entry-input.js";
import type { BulkWriteResult } from "../shared/api-types.js";
import type { KbRead, Skipped } from "./read-kb.js";
import { jsonBytes, planRequests, SINGLE_ENTRY_MAX_BYTES } from "./requests.js";
import type { ImportEntry } from "./to-entry.js";

/** A batch request's outcome; status 0 means the server could not be reached. */
export type SendResult =
  | { ok: true; result: BulkWriteResult }
  | { ok: false; status: number; code: string; message: string; details?: unknown };

/** Sends one `POST /api/entries/batch`. */
export type SendBulk = (body: {
  kb: string;
  mode: "create" | "upsert";
  entries: ImportEntry[];
}) => Promise<SendResult>;

/** What became of one KB. */
export interface KbReport {
  name: string;
  dirs: string[];
  files: number;
  /** Entries the API accepted (created + updated + unchanged); in a dry run, those it would get. */
  imported: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Entries whose text was queued for embedding. */
  queued: number;
  /** Entries embedded while the import ran (a server without a background worker does that). */
  embedded: number;
  /** How the server embeds (`background`, `sync`, `off`), as its last answer said. */
  embed_mode?: string;
  skipped: Skipped[];
  warnings: { path: string; message: string }[];
  notes: string[];
}

/** The whole import, as `--json` prints it. */
export interface ImportReport {
  kbs: KbReport[];
  elapsed_ms: number;
  dry_run: boolean;
}

export interface ImportOptions {
  send: SendBulk;
  mode: "create" | "upsert";
  dryRun: boolean;
  /** Called as entries are accounted for: done so far, of total. */
  onProgress?: (done: number, total: number) => void;
  /** Waits between retries (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** When the import began (reading the folders included); defaults to now. */
  startedAt?: number;
}

interface Item {
  path: string;
  entry: ImportEntry;
}

const RETRIES = 2;

/** Imports every KB; never throws for one entry's or one batch's trouble. */
export async function importKbs(kbs: KbRead[], opts: ImportOptions): Promise<ImportReport> {
  const now = opts.now ?? Date.now;
  const started = opts.startedAt ?? now();
  const prepared = kbs.map((kb) => ({ kb, ...precheck(kb) }));
  const total = prepared.reduce((n, p) => n + p.items.length, 0);
  let done = 0;
  const reports: KbReport[] = [];
  for (const { kb, items, skipped } of prepared) {
    const report: KbReport = {
      name: kb.name,
      dirs: kb.dirs,
      files: kb.files,
      imported: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      queued: 0,
      embedded: 0,
      skipped: [...kb.skipped, ...skipped],
      warnings: kb.warnings,
      notes: kb.notes,
    };
    reports.push(report);
    if (opts.dryRun) {
      report.imported = items.length;
      done += items.length;
      opts.onProgress?.(done, total);
      continue;
    }
    for (const batch of planRequests(items, (i) => jsonBytes(i.entry))) {
      await sendBulk(kb.name, batch, report, opts);
      done += batch.length;
      opts.onProgress?.(done, total);
    }
  }
  return { kbs: reports, elapsed_ms: now() - started, dry_run: opts.dryRun };
}

/** Sets aside what the API would refuse anyway, with the API's own rules and messages. */
function precheck(kb: KbRead): { items: Item[]; skipped: Skipped[] } {
  const items: Item[] = [];
  const skipped: Skipped[] = [];
  for (const { path, entry } of kb.entries) {
    const bytes = jsonBytes(entry);
    if (bytes > SINGLE_ENTRY_MAX_BYTES) {
      skipped.push({
        path,
        reason: `the entry is ${bytes} bytes as JSON; one request takes at most ${SINGLE_ENTRY_MAX_BYTES}`,
      });
      continue;
    }
    const check = createEntrySchema.safeParse({ kb: kb.name, ...entry });
    if (!check.success) {
      const reasons = check.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
      skipped.push({ path, reason: `rejected by the API's rules: ${reasons.join("; ")}` });
      continue;
    }
    items.push({ path, entry });
  }
  return { items, skipped };
}

async function sendBulk(
  kb: string,
  batch: Item[],
  report: KbReport,
  opts: ImportOptions,
  depth = 0,
): Promise<void> {
  if (batch.length === 0) return;
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let outcome = await opts.send({ kb, mode: opts.mode, entries: batch.map((i) => i.entry) });
  for (let attempt = 1; attempt <= RETRIES && !outcome.ok && retryable(outcome.status); attempt++) {
    await sleep(500 * 2 ** (attempt - 1));
    outcome = await opts.send({ kb, mode: opts.mode, entries: batch.map((i) => i.entry) });
  }
  if (outcome.ok) {
    const r = outcome.result;
    report.created += r.created;
    report.updated += r.updated;
    report.unchanged += r.unchanged;
    report.imported += r.created + r.updated + r.unchanged;
    report.queued += r.queued;
    report.embedded += r.embedded ?? 0;
    if (r.embed_mode !== undefined) report.embed_mode = r.embed_mode;
    return;
  }
  const refused = depth < 3 ? refusedItems(outcome) : undefined;
  if (refused && refused.size > 0) {
    const rest: Item[] = [];
    for (const [index, item] of batch.entries()) {
      const reason = refused.get(index);
      if (reason === undefined) rest.push(item);
      else report.skipped.push({ path: item.path, reason });
    }
    await sendBulk(kb, rest, report, opts, depth + 1);
    return;
  }
  if (outcome.status === 413 && batch.length > 1) {
    const half = Math.ceil(batch.length / 2);
    await sendBulk(kb, batch.slice(0, half), report, opts, depth);
    await sendBulk(kb, batch.slice(half), report, opts, depth);
    return;
  }
  const why =
    outcome.status === 0
      ? `not sent: ${outcome.message}`
      : `the API refused its batch: ${outcome.status} ${outcome.code}: ${outcome.message}`;
  for (const item of batch) report.skipped.push({ path: item.path, reason: why });
}

function retryable(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}

/**
 * The items a 400 (invalid entries) or a create-mode 409 (existing ids) names, by index, with
 * the API's reasons.
 */
function refusedItems(
  outcome: Extract<SendResult, { ok: false }>,
): Map<number, string> | undefined {
  if (!Array.isArray(outcome.details)) return undefined;
  if (outcome.code !== "invalid_entries" && outcome.code !== "entries_exist") return undefined;
  const out = new Map<number, string>();
  for (const detail of outcome.details as unknown[]) {
    if (typeof detail !== "object" || detail === null) continue;
    const index: unknown = Reflect.get(detail, "index");
    if (typeof index !== "number") continue;
    if (outcome.code === "entries_exist") {
      out.set(index, "already exists (--mode create leaves existing entries alone)");
      continue;
    }
    const errors: unknown = Reflect.get(detail, "errors");
    const reasons = Array.isArray(errors)
      ? errors.map((e: unknown) =>
          typeof e === "object" && e !== null
            ? `${String(Reflect.get(e, "path"))}: ${String(Reflect.get(e, "message"))}`
            : String(e),
        )
      : [];
    out.set(index, `rejected by the API: ${reasons.join("; ") || "invalid"}`);
  }
  return out;
}
