/**
 * `index embed [--background [--wait]] [--status] [--kb] [--force]`, `index retry-failed`,
 * `index pause`, `index resume`: the embedding queue's controls.
 */
import type { Command } from "commander";
import { ok } from "../../contract/client.js";
import type { EmbedStatus } from "../../shared/api-types.js";
import type { ApiClient } from "../client.js";
import { clientOf, globals } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { subscribe } from "../events.js";
import { duration, keyValues, printJson, println } from "../output.js";
import { startProgress } from "../progress.js";
import { registerModelCommands } from "./index-models.js";

interface EmbedOptions {
  kb?: string;
  force?: boolean;
  background?: boolean;
  wait?: boolean;
  status?: boolean;
}

/** How often `--wait` polls the status (events are at-least-once and may be missed). */
const POLL_MS = 2000;
/** Rounds without progress after which a synchronous embed gives up. */
const STALL_ROUNDS = 3;
const STALL_PAUSE_MS = 300;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const remainingOf = (status: EmbedStatus) => status.pending + status.processing;

function getStatus(client: ApiClient, kb: string | undefined): Promise<EmbedStatus> {
  return ok(client.http.api.index["embed-status"].$get({ query: { kb } }));
}

/** The status as a readable table. */
function statusTable(status: EmbedStatus): string {
  const worker = status.worker;
  const rows: [string, string | number][] = [
    ["knowledge base", status.kb ?? "(all)"],
    ["entries", status.entries],
    ["embedded", status.embedded],
    ["pending", status.pending],
    ["processing", status.processing],
    ["failed", status.failed],
    ["missing", status.missing],
    ["stale", status.stale],
    ["truncated", status.truncated],
    ["oldest pending", duration(status.oldest_pending_age_ms)],
    ["expired leases", status.expired_leases],
    ["worker", worker.state],
  ];
  if ("last_run_at" in worker) {
    rows.push(["last run", worker.last_run_at ?? "-"], ["next alarm", worker.next_alarm_at ?? "-"]);
    rows.push(["batch size", worker.batch_size], ["max attempts", worker.max_attempts]);
  }
  rows.push(
    ["embedded last minute", status.throughput_last_minute ?? "-"],
    ["model", status.model ?? "(embedder unavailable)"],
    ["provider", status.provider ?? "-"],
    ["semantic", status.semantic ? "yes" : "NO (lexical hash fallback)"],
    ["EMBED_MODE", status.embed_mode],
  );
  if (status.last_error) {
    const e = status.last_error;
    rows.push(["last error", `${e.kb_name}/${e.entry_id} at ${e.at}: ${e.error}`]);
  }
  return keyValues(rows);
}

function summary(status: EmbedStatus): string {
  return `embedded ${status.embedded}/${status.entries} · pending ${status.pending} · processing ${status.processing} · failed ${status.failed}`;
}

/** Finishes: prints the outcome, and fails (exit 1) when work remains or failed. */
function finish(
  command: Command,
  result: Record<string, unknown>,
  status: EmbedStatus,
  failedNow: number,
): void {
  if (globals(command).json) printJson({ ...result, status });
  else println(summary(status));
  const remaining = remainingOf(status);
  if (remaining > 0 || failedNow > 0) {
    throw new CliError(
      `${remaining} entr${remaining === 1 ? "y" : "ies"} still queued, ${failedNow} failed` +
        (status.last_error ? ` (last error: ${status.last_error.error})` : ""),
    );
  }
}

/** Synchronous: loops the server's one-batch embed until nothing is due or nothing progresses. */
async function embedSync(
  command: Command,
  client: ApiClient,
  options: EmbedOptions,
): Promise<void> {
  const json = globals(command).json;
  const progress = startProgress("embedding", !json);
  let embedded = 0;
  let failed = 0;
  let queued = 0;
  let stalls = 0;
  let first = true;
  let last: EmbedStatus | undefined;
  try {
    for (;;) {
      const body = first ? { kb: options.kb, force: options.force ?? false } : { kb: options.kb };
      const response = await ok(client.http.api.index.embed.$post({ json: body }));
      if (first) queued = response.queued;
      first = false;
      const batch = response.batch;
      embedded += batch?.embedded ?? 0;
      failed += batch?.failed ?? 0;
      const remaining = remainingOf(response.status);
      const progressed =
        (batch?.claimed ?? 0) > 0 || (last !== undefined && remaining < remainingOf(last));
      last = response.status;
      progress.update(embedded, embedded + remaining);
      if (remaining === 0) break;
      stalls = progressed ? 0 : stalls + 1;
      if (stalls >= STALL_ROUNDS) break;
      if (!progressed) await sleep(STALL_PAUSE_MS);
    }
  } finally {
    progress.stop();
  }
  if (last === undefined) throw new CliError("the server answered no status");
  finish(command, { mode: "sync", queued, embedded, failed }, last, failed);
}

/** Background: enqueue and kick; with `--wait`, follow events and poll until the queue drains. */
async function embedBackground(
  command: Command,
  client: ApiClient,
  options: EmbedOptions,
): Promise<void> {
  const json = globals(command).json;
  const body = { background: true, kb: options.kb, force: options.force ?? false };
  if (!options.wait) {
    const response = await ok(client.http.api.index.embed.$post({ json: body }));
    if (json) {
      printJson(response);
      return;
    }
    println(`queued ${response.queued}; ${summary(response.status)}`);
    return;
  }
  // Subscribed BEFORE posting, so no completion of this run can slip by unseen.
  const seen = new Set<string>();
  let failedEvents = 0;
  const stream = await subscribe(client, options.kb, (message) => {
    if (message.type !== "embed_complete" && message.type !== "embed_failed") return;
    // At-least-once delivery: count each (entry, text) once.
    const key = `${message.kb_name}\0${message.entry_id}\0${message.content_hash ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (message.type === "embed_failed") failedEvents += 1;
  });
  const progress = startProgress("embedding", !json);
  try {
    const response = await ok(client.http.api.index.embed.$post({ json: body }));
    const failedBefore = response.status.failed;
    let status = response.status;
    let total = remainingOf(status);
    let lastPoll = Date.now();
    while (remainingOf(status) > 0) {
      await sleep(200);
      if (Date.now() - lastPoll >= POLL_MS || seen.size >= total) {
        status = await getStatus(client, options.kb);
        lastPoll = Date.now();
      }
      // Writes made meanwhile grow the work: never let done exceed total.
      const done = Math.max(seen.size, total - remainingOf(status));
      total = Math.max(total, done + remainingOf(status));
      progress.update(done, total);
    }
    progress.stop();
    const failedNow = Math.max(failedEvents, status.failed - failedBefore);
    finish(
      command,
      { mode: "background", queued: response.queued, events: seen.size, failed: failedNow },
      status,
      failedNow,
    );
  } finally {
    progress.stop();
    stream.close();
  }
}

/** Registers `index` and its subcommands. */
export function registerIndexCommands(program: Command): void {
  const index = program.command("index").description("the embedding index and its queue");
  registerModelCommands(index);

  index
    .command("embed")
    .description("embed what is missing or stale (synchronously, unless --background)")
    .option("--kb <kb>", "only this knowledge base")
    .option("--force", "re-embed everything, even current vectors")
    .option("--background", "enqueue and let the background worker embed")
    .option("--wait", "with --background: follow progress until the queue drains")
    .option("--status", "show the queue's status instead")
    .action(async (options: EmbedOptions, command: Command) => {
      const client = clientOf(command);
      if (options.status) {
        if (options.force || options.background || options.wait) {
          throw usageError("--status does not combine with --force, --background or --wait");
        }
        const status = await getStatus(client, options.kb);
        if (globals(command).json) printJson(status);
        else println(statusTable(status));
        return;
      }
      if (options.wait && !options.background) throw usageError("--wait goes with --background");
      if (options.background) await embedBackground(command, client, options);
      else await embedSync(command, client, options);
    });

  index
    .command("retry-failed")
    .description("put failed rows back in the queue")
    .option("--kb <kb>", "only this knowledge base")
    .action(async (options: { kb?: string }, command: Command) => {
      const result = await ok(
        clientOf(command).http.api.index.embed["retry-failed"].$post({ json: { kb: options.kb } }),
      );
      if (globals(command).json) printJson(result);
      else println(`requeued ${result.requeued}`);
    });

  for (const action of ["pause", "resume"] as const) {
    index
      .command(action)
      .description(
        action === "pause"
          ? "pause the background worker (finishes the batch in hand)"
          : "resume the background worker",
      )
      .action(async (_options: unknown, command: Command) => {
        const result = await ok(clientOf(command).http.api.index.embed[action].$post({ json: {} }));
        if (globals(command).json) printJson(result);
        else println(`worker: ${result.worker.state}`);
      });
  }
}
