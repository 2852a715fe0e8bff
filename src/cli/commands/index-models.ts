/**
 * `index migrate --model X [--switch-at P] [--wait] [--status] [--dry-run] [--kb]`,
 * `index rollback`, `index drop-model X`: changing the embedding model without losing search.
 */
import type { Command } from "commander";
import { ok } from "../../contract/client.js";
import type { MigrationEstimate, MigrationStatus } from "../../shared/api-types.js";
import type { ModelSwitchedMessage } from "../../shared/messages.js";
import type { ApiClient } from "../client.js";
import { clientOf, globals } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { subscribe } from "../events.js";
import { duration, keyValues, printJson, println } from "../output.js";
import { startProgress } from "../progress.js";

interface MigrateOptions {
  model?: string;
  switchAt?: string;
  wait?: boolean;
  status?: boolean;
  dryRun?: boolean;
  kb?: string;
}

const POLL_MS = 1000;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** `--switch-at`: a share (0.95) or a percentage (95%) of the index, in (0, 1]. */
function parseSwitchAt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const percent = value.trim().endsWith("%");
  const n = Number(percent ? value.trim().slice(0, -1) : value);
  const share = percent || n > 1 ? n / 100 : n;
  if (!Number.isFinite(share) || share <= 0 || share > 1) {
    throw usageError(`--switch-at takes a share in (0, 1] or a percentage, not ${value}`);
  }
  return share;
}

function getStatus(client: ApiClient, kb?: string): Promise<MigrationStatus> {
  return ok(client.http.api.index.migrate.$get({ query: { kb } }));
}

/** The migration status as a readable table. */
function statusTable(status: MigrationStatus): string {
  const rows: [string, string | number][] = [
    ["serving", status.serving ?? "-"],
    ["serving available", status.serving_available ? "yes" : `NO: ${status.serving_error}`],
    ["target", status.target ?? "(no migration running)"],
  ];
  const shadow = status.shadow;
  if (shadow) {
    rows.push(
      ["switch at", `${Math.round((status.switch_at ?? 1) * 100)}%`],
      [
        "shadow coverage",
        `${shadow.covered}/${shadow.entries} (${(shadow.ratio * 100).toFixed(1)}%)`,
      ],
      ["pending", shadow.pending],
      ["processing", shadow.processing],
      ["failed", shadow.failed],
      ["embedded last minute", shadow.entries_last_minute],
      ["ETA", shadow.eta_seconds === null ? "-" : duration(shadow.eta_seconds * 1000)],
    );
  }
  for (const m of status.models) {
    rows.push([`${m.role} set`, `${m.model}: ${m.sets} entries, ${m.passages} passages`]);
  }
  return keyValues(rows);
}

function estimateTable(e: MigrationEstimate): string {
  return keyValues([
    ["model", e.model],
    ["entries", e.entries],
    ["passages", e.passages],
    ["tokens", e.tokens],
    ["time", duration(Math.round(e.seconds * 1000))],
    [
      "measured on",
      `${e.sample.passages} passages of ${e.sample.entries} entries in ${e.sample.seconds} s ` +
        `(${e.sample.passages_per_second} passages/s)`,
    ],
  ]);
}

/** Follows a migration until it switches (or fails to progress because rows failed). */
async function follow(command: Command, client: ApiClient, target: string): Promise<void> {
  const json = globals(command).json;
  let switched: ModelSwitchedMessage | undefined;
  const stream = await subscribe(client, undefined, (message) => {
    if (message.type === "model_switched" && message.model === target) switched = message;
  });
  const progress = startProgress("migrating", !json);
  try {
    for (;;) {
      const status = await getStatus(client);
      if (switched || status.serving === target) break;
      if (status.target !== target) {
        throw new CliError(`the migration to ${target} stopped (serving ${status.serving})`);
      }
      const shadow = status.shadow;
      if (shadow) {
        progress.update(shadow.covered, shadow.entries);
        const left = shadow.pending + shadow.processing;
        if (left === 0 && shadow.failed > 0 && shadow.ratio < (status.switch_at ?? 1)) {
          throw new CliError(
            `${shadow.failed} entries failed to embed with ${target}: ` +
              "`pyrite index retry-failed`, or lower --switch-at",
          );
        }
      }
      await sleep(POLL_MS);
    }
  } finally {
    progress.stop();
    stream.close();
  }
  const status = await getStatus(client);
  if (json) printJson({ switched: switched ?? null, migration: status });
  else println(`switched: ${target} serves search`);
}

/** Registers `index migrate`, `index rollback` and `index drop-model` under `index`. */
export function registerModelCommands(index: Command): void {
  index
    .command("migrate")
    .description("re-embed everything with another model while search keeps serving, then switch")
    .option("--model <model>", "a hub id, a model directory, `bundled` or `hash`")
    .option("--switch-at <share>", "switch once this share of entries is covered (default 100%)")
    .option("--wait", "follow the migration until the switch")
    .option("--status", "show the serving model, the migration and the kept sets")
    .option("--dry-run", "estimate entries, passages, tokens and time; change nothing")
    .option("--kb <kb>", "with --status or --dry-run: only this knowledge base")
    .action(async (options: MigrateOptions, command: Command) => {
      const client = clientOf(command);
      const json = globals(command).json;
      if (options.status) {
        if (options.model || options.dryRun || options.switchAt) {
          throw usageError("--status does not combine with --model, --dry-run or --switch-at");
        }
        const status = await getStatus(client, options.kb);
        if (json) printJson(status);
        else println(statusTable(status));
        return;
      }
      if (!options.model) throw usageError("--model is required (or --status)");
      if (options.dryRun) {
        const answer = await ok(
          client.http.api.index.migrate.$post({
            json: { model: options.model, dry_run: true, kb: options.kb },
          }),
        );
        if (!("estimate" in answer)) throw new CliError("the server did not answer an estimate");
        const { estimate } = answer;
        if (json) printJson(estimate);
        else println(estimateTable(estimate));
        return;
      }
      if (options.kb) throw usageError("a migration covers every knowledge base: drop --kb");
      const result = await ok(
        client.http.api.index.migrate.$post({
          json: { model: options.model, switch_at: parseSwitchAt(options.switchAt) },
        }),
      );
      if ("estimate" in result) throw new CliError("the server answered an estimate");
      const target = result.migration.target ?? result.migration.serving ?? options.model;
      if (options.wait) {
        if (!json) println(`migrating to ${target}: ${result.queued} entries queued`);
        await follow(command, client, target);
        return;
      }
      if (json) printJson(result);
      else println(`migrating to ${target}: ${result.queued} entries queued`);
    });

  index
    .command("rollback")
    .description("switch back at once to the model that served before")
    .action(async (_options: unknown, command: Command) => {
      const result = await ok(clientOf(command).http.api.index.rollback.$post({ json: {} }));
      if (globals(command).json) printJson(result);
      else {
        const c = result.switched.coverage;
        println(
          `${result.switched.model} serves search again (${c.embedded}/${c.entries} entries current; ` +
            `${result.requeued} queued for it)`,
        );
      }
    });

  index
    .command("drop-model <model>")
    .description("free the vectors kept for a model that does not serve")
    .action(async (model: string, _options: unknown, command: Command) => {
      const result = await ok(
        clientOf(command).http.api.index["drop-model"].$post({ json: { model } }),
      );
      if (globals(command).json) printJson(result);
      else println(`dropped ${result.dropped} (${result.sets} entries' vectors)`);
    });
}
