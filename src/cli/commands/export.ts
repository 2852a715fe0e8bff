/** `export KB DIR`: writes a KB in pyrite's format, so that importing it again gives it back. */
import { mkdir } from "node:fs/promises";
import type { Command } from "commander";
import { exportKb } from "../../export/export-kb.js";
import { httpRemote } from "../../sync/remote.js";
import { clientOf, globals } from "../context.js";
import { CliError } from "../errors.js";
import { printJson, println } from "../output.js";

/** Registers `export`. */
export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description("write a KB as a pyrite folder (kb.yaml, type folders, markdown + frontmatter)")
    .argument("<kb>", "the knowledge base")
    .argument("<dir>", "the folder to write (created if needed)")
    .action(async (kb: string, dir: string, _options: unknown, command: Command) => {
      const remote = httpRemote(clientOf(command));
      const entries = [...(await remote.list(kb)).values()].map((r) => r.entry);
      if (entries.length === 0) throw new CliError(`the KB '${kb}' has no entries`);
      await mkdir(dir, { recursive: true });
      const report = await exportKb(kb, entries, dir);
      if (globals(command).json) {
        printJson(report);
        return;
      }
      const folders = Object.entries(report.folders)
        .map(([folder, n]) => `${folder}/ ${n}`)
        .join(", ");
      println(`exported ${report.entries} entries of ${kb} to ${dir} (${folders})`);
    });
}
