/**
 * `import DIR...`: brings pyrite knowledge-base folders in through `POST /api/entries/batch`.
 * Every file ends imported or skipped with its reason; the exit code is 1 if any was skipped.
 */
import { stat } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { httpSender } from "../../import/http-sender.js";
import { type ImportReport, importKbs, type KbReport } from "../../import/import-kbs.js";
import { type KbRead, readKbs } from "../../import/read-kb.js";
import { clientOf, globals } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { duration, note, printJson, println, table } from "../output.js";
import { startProgress } from "../progress.js";

interface ImportOptions {
  kb?: string;
  mode: "upsert" | "create";
  dryRun?: boolean;
}

/** Warnings printed per run before pointing at `--json` for the rest. */
const WARNINGS_SHOWN = 20;

function modeArg(value: string): "upsert" | "create" {
  if (value === "upsert" || value === "create") return value;
  throw new InvalidArgumentError("expected upsert or create");
}

/** Registers `import`. */
export function registerImportCommand(program: Command): void {
  program
    .command("import")
    .description(
      "import pyrite KB folders (markdown + YAML frontmatter); a folder of KB folders imports each",
    )
    .argument("<dir...>", "KB folders (holding kb.yaml), or folders of them")
    .option("--kb <name>", "import into this KB (default: kb.yaml's name, else the folder's)")
    .option(
      "--mode <mode>",
      "upsert: create or update by id; create: skip ids that exist",
      modeArg,
      "upsert",
    )
    .option("--dry-run", "read and report; send nothing")
    .action(async (dirs: string[], options: ImportOptions, command: Command) => {
      const startedAt = Date.now();
      for (const dir of dirs) {
        const info = await stat(dir).catch(() => undefined);
        if (!info?.isDirectory()) throw usageError(`${dir} is not a folder`);
      }
      const { json } = globals(command);
      let kbs: KbRead[];
      try {
        kbs = await readKbs(dirs, { kb: options.kb });
      } catch (err) {
        throw usageError(err instanceof Error ? err.message : String(err));
      }
      const client = clientOf(command);
      const bar = startProgress("importing", !json && options.dryRun !== true);
      const report = await importKbs(kbs, {
        send: httpSender(client.urlOf("/api/entries/batch"), client.headers()),
        mode: options.mode,
        dryRun: options.dryRun === true,
        startedAt,
        onProgress: (done, total) => bar.update(done, total),
      }).finally(() => bar.stop());
      if (json) printJson(report);
      else printReport(report);
      const skipped = report.kbs.reduce((n, kb) => n + kb.skipped.length, 0);
      // After the report: the exit code (1) says something was skipped; the report says what.
      if (skipped > 0) throw new CliError(`${skipped} files were not imported (listed above)`);
    });
}

function printReport(report: ImportReport): void {
  for (const kb of report.kbs) for (const line of kb.notes) note(line);
  const rows = report.kbs.map((kb: KbReport) => [
    kb.name,
    kb.files,
    kb.imported,
    kb.created,
    kb.updated,
    kb.unchanged,
    kb.skipped.length,
    kb.warnings.length,
  ]);
  const head = ["kb", "files", report.dry_run ? "to import" : "imported"];
  println(table([...head, "created", "updated", "unchanged", "skipped", "warnings"], rows));
  const skipped = report.kbs.flatMap((kb) => kb.skipped);
  if (skipped.length > 0) {
    println(`\nskipped (${skipped.length}):`);
    for (const s of skipped) println(`  ${s.path}: ${s.reason}`);
  }
  const warnings = report.kbs.flatMap((kb) => kb.warnings);
  if (warnings.length > 0) {
    println(`\nwarnings (${warnings.length}; imported with these fixes):`);
    for (const w of warnings.slice(0, WARNINGS_SHOWN)) println(`  ${w.path}: ${w.message}`);
    if (warnings.length > WARNINGS_SHOWN) {
      println(`  … ${warnings.length - WARNINGS_SHOWN} more (--json lists them all)`);
    }
  }
  const total = report.kbs.reduce((n, kb) => n + kb.imported, 0);
  const queued = report.kbs.reduce((n, kb) => n + kb.queued, 0);
  const embedded = report.kbs.reduce((n, kb) => n + kb.embedded, 0);
  if (report.kbs.some((kb) => kb.embed_mode === "sync") && embedded < queued) {
    note(
      `the server has no background worker: ${embedded} of ${queued} embedded during the import; ` +
        "`pyrite index embed` embeds the rest",
    );
  }
  const verb = report.dry_run ? "would import" : "imported";
  println(
    `\n${verb} ${total} entries from ${report.kbs.length} KBs in ${duration(report.elapsed_ms)}` +
      (report.dry_run ? " (dry run: nothing sent)" : `; ${queued} queued for embedding`),
  );
}
