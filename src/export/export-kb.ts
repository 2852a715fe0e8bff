/**
 * Writes a KB from the service into a folder in pyrite's format: `kb.yaml` (kept if the folder
 * has one, so its type folders and guidelines stay), one folder per type, one file per entry.
 */
import path from "node:path";
import { stringify } from "yaml";
import type { Entry } from "../shared/api-types.js";
import { exists, writeFileAtomic } from "../sync/local.js";
import { entryToMarkdown } from "./entry-file.js";
import { entryPath, KB_FILE, pluralOf, typeFolders } from "./layout.js";

/** What an export wrote. */
export interface ExportReport {
  kb: string;
  dir: string;
  entries: number;
  /** Entries per type folder. */
  folders: Record<string, number>;
  /** Whether kb.yaml was written (false: the folder's own was kept). */
  wrote_kb_yaml: boolean;
}

/** Writes `entries` of `kb` into `dir`. */
export async function exportKb(kb: string, entries: Entry[], dir: string): Promise<ExportReport> {
  const kbFile = path.join(dir, KB_FILE);
  const keepKbYaml = await exists(kbFile);
  if (!keepKbYaml) {
    const types = [...new Set(entries.map((e) => e.entry_type))].sort();
    const doc = {
      name: kb,
      types: Object.fromEntries(types.map((t) => [t, { subdirectory: pluralOf(t) }])),
    };
    await writeFileAtomic(kbFile, stringify(doc, { version: "1.1" }));
  }
  const folders = await typeFolders(dir);
  const counts: Record<string, number> = {};
  for (const entry of entries) {
    const file = entryPath(dir, entry, folders);
    const folder = path.relative(dir, path.dirname(file));
    counts[folder] = (counts[folder] ?? 0) + 1;
    await writeFileAtomic(file, entryToMarkdown(entry));
  }
  return { kb, dir, entries: entries.length, folders: counts, wrote_kb_yaml: !keepKbYaml };
}
