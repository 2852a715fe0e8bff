/**
 * `sync DIR... [--watch] [--dry-run]`: mirrors KB folders into the service and, while watching,
 * the service back into the folders. Prints one line per change (`--json`: one JSON object per
 * line); exit code 1 when something is in conflict or a file could not be synced.
 */

import { stat } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { findKbDirs, kbNameOf } from "../../import/read-kb.js";
import type { EntryEventMessage } from "../../shared/messages.js";
import { FolderSync, type PassReport, type SyncEvent } from "../../sync/folder-sync.js";
import { httpRemote } from "../../sync/remote.js";
import { watchFolders } from "../../sync/watch.js";
import { clientOf, globals } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { note, println } from "../output.js";

interface SyncOptions {
  kb?: string;
  watch?: boolean;
  dryRun?: boolean;
}

/** How to settle a conflict, as printed beside it. */
function conflictHelp(file: string, copy: string): string {
  return (
    `  to resolve ${file}: keep yours → delete ${copy}; take the server's → move ${copy} over ` +
    `${file}; or merge into ${file} and delete ${copy}. The next sync sends the result.`
  );
}

function describe(event: SyncEvent, time: boolean): string {
  const stamp = time ? `${new Date().toISOString().slice(11, 19)} ` : "";
  const verb = event.dry_run ? `would ${event.action}` : event.action;
  const where = event.path === "" ? "" : `  ${event.path}`;
  return `${stamp}${verb.padEnd(12)} ${event.kb}/${event.id}${where}${event.note ? ` (${event.note})` : ""}`;
}

function describeEmbed(message: EntryEventMessage): string {
  const stamp = new Date().toISOString().slice(11, 19);
  const detail = message.type === "embed_failed" ? `: ${message.error}` : "";
  return `${stamp} ${message.type.padEnd(12)} ${message.kb_name}/${message.entry_id}${detail}`;
}

/** The server as the state file names it: the same URL written with or without a final slash. */
function serverKey(url: string): string {
  return url.replace(/\/+$/, "");
}

/** The KB folders under `dirs` and the KB each is synced with; one folder per KB. */
async function kbFolders(dirs: string[], kb: string | undefined) {
  const out: { dir: string; kb: string }[] = [];
  for (const dir of dirs) {
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) throw usageError(`${dir} is not a folder`);
    for (const kbDir of await findKbDirs(dir)) {
      const { name } = await kbNameOf(kbDir, kb).catch((err: unknown) => {
        throw usageError(err instanceof Error ? err.message : String(err));
      });
      const other = out.find((o) => o.kb === name);
      if (other) {
        throw usageError(
          `${other.dir} and ${kbDir} both map to the KB '${name}': sync one folder per KB`,
        );
      }
      out.push({ dir: path.resolve(kbDir), kb: name });
    }
  }
  if (kb !== undefined && out.length > 1) throw usageError("--kb names one KB: give one KB folder");
  return out;
}

/** Registers `sync`. */
export function registerSyncCommand(program: Command): void {
  program
    .command("sync")
    .description(
      "mirror KB folders into the service (creates, updates, deletes); --watch follows both ways",
    )
    .argument("<dir...>", "KB folders (holding kb.yaml), or folders of them")
    .option("--kb <name>", "sync with this KB (default: kb.yaml's name, else the folder's)")
    .option("--watch", "keep following file changes and the server's changes until Ctrl-C")
    .option("--dry-run", "list what would change (deletes first); change nothing")
    .action(async (dirs: string[], options: SyncOptions, command: Command) => {
      if (options.watch && options.dryRun) throw usageError("--dry-run and --watch don't mix");
      const { json } = globals(command);
      const client = clientOf(command);
      const remote = httpRemote(client);
      const watching = options.watch === true;
      const emit = (event: SyncEvent) =>
        println(json ? JSON.stringify(event) : describe(event, watching));
      const syncs: FolderSync[] = [];
      for (const { dir, kb } of await kbFolders(dirs, options.kb)) {
        syncs.push(await FolderSync.open(dir, kb, serverKey(client.connection.url), remote, emit));
      }
      const seen = new Set<string>();
      const summarize = (report: PassReport) => {
        for (const s of report.skipped) {
          const key = `${s.path}\n${s.reason}`;
          if (seen.has(key)) continue;
          seen.add(key);
          note(`${report.kb}: ${s.path}: not synced: ${s.reason}`);
        }
        for (const c of report.conflicts) {
          const key = `conflict\n${c.path}`;
          if (watching && seen.has(key)) continue;
          seen.add(key);
          note(`${report.kb}: conflict in ${c.path}`);
          note(conflictHelp(c.path, c.server_copy));
        }
      };
      if (!watching) {
        const reports: PassReport[] = [];
        for (const sync of syncs) {
          const report = await sync.pass({ dryRun: options.dryRun === true });
          summarize(report);
          reports.push(report);
        }
        const changes = reports.reduce((n, r) => n + r.events.length, 0);
        const conflicts = reports.reduce((n, r) => n + r.conflicts.length, 0);
        const skipped = reports.reduce((n, r) => n + r.skipped.length, 0);
        const line = `${options.dryRun ? "would make" : "made"} ${changes} changes in ${syncs.length} KBs; ${conflicts} in conflict; ${skipped} files not synced`;
        if (json) println(JSON.stringify({ type: "summary", changes, conflicts, skipped }));
        else println(line);
        if (conflicts > 0 || skipped > 0) throw new CliError(line);
        return;
      }
      const watch = await watchFolders(syncs, client, {
        onPass: summarize,
        onEmbed: (message) => println(json ? JSON.stringify(message) : describeEmbed(message)),
        onError: (message) => note(`sync: ${message}`),
      });
      for (const sync of syncs) summarize(await sync.pass());
      const names = syncs.map((s) => s.kb).join(", ");
      if (json) println(JSON.stringify({ type: "watching", kbs: syncs.map((s) => s.kb) }));
      else note(`watching ${names} (Ctrl-C to stop)`);
      await new Promise<void>((done) => {
        process.once("SIGINT", done);
        process.once("SIGTERM", done);
      });
      // Finish the pass in hand (its state is saved at its end), then stop.
      await watch.close();
    });
}
