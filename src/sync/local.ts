/**
 * The file side of a sync: reads a KB folder with the importer, and writes or removes single
 * entry files atomically (a temporary dot file renamed into place, so neither an editor nor the
 * watcher ever sees half a file).
 */
import { mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { readKbs, type Skipped } from "../import/read-kb.js";
import { fileToEntry } from "../import/to-entry.js";
import { contentOfImport, fingerprint } from "./fingerprint.js";
import type { LocalEntry } from "./plan.js";

/** A KB folder as read now. */
export interface LocalRead {
  /** By entry id. */
  entries: Map<string, LocalEntry>;
  /** Files that exist but were skipped (relative paths), with the reader's reasons. */
  skipped: Skipped[];
}

/** Reads every entry file of the KB folder `kbDir` (the importer's reader and rules). */
export async function readLocal(kbDir: string, kb: string): Promise<LocalRead> {
  const [read] = await readKbs([kbDir], { kb });
  const entries = new Map<string, LocalEntry>();
  const skipped: Skipped[] = [];
  if (!read) return { entries, skipped };
  for (const { path: file, entry } of read.entries) {
    const rel = path.relative(kbDir, file);
    entries.set(entry.id, { path: rel, entry, hash: fingerprint(contentOfImport(entry)) });
  }
  for (const s of read.skipped)
    skipped.push({ path: path.relative(kbDir, s.path), reason: s.reason });
  return { entries, skipped };
}

/** The fingerprint of the entry in one file now; undefined when it is gone or unreadable. */
export async function fileHash(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  const outcome = fileToEntry(text, path.basename(file));
  return outcome.ok ? fingerprint(contentOfImport(outcome.entry)) : undefined;
}

/** Writes `text` to `file` atomically, creating its folder. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(temp, text);
  await rename(temp, file);
}

/** Removes a file; one already gone is fine. */
export async function removeFile(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

/** Whether `file` exists. */
export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
