/**
 * The sync state of one KB folder, kept beside its files in `.pyrite-sync.json` (a dot file: the
 * importer and the watcher pass it by). Per entry it records where the file was and the
 * fingerprints both sides had when they last agreed, so a later change is known by its side: the
 * base of a three-way comparison, as git's merge base is.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** The state file's name inside the KB folder. */
const STATE_FILE = ".pyrite-sync.json";

/** What both sides held for one entry at the last sync. */
export interface SyncRecord {
  /** The file, relative to the KB folder. */
  path: string;
  /** Fingerprint of the file's entry. */
  local: string;
  /** Fingerprint of the service's entry. */
  remote: string;
  /** The service's `updated_at` (the version a conditional write would name). */
  updated_at: string;
  /** Both sides changed: the service's version waits in `<path>.server` until resolved. */
  conflict?: boolean;
}

/** The whole state of a folder. */
export interface SyncState {
  server: string;
  kb: string;
  /** A first sync has completed: until then the folder alone says which entries exist. */
  initialized: boolean;
  records: Map<string, SyncRecord>;
}

interface StateFile {
  version: 1;
  server: string;
  kb: string;
  initialized: boolean;
  entries: ({ id: string } & SyncRecord)[];
}

/**
 * The folder's state for `kb` on `server`. A missing or unreadable file, or one written for
 * another server or KB, starts afresh: the folder is then the source of truth, as for an import.
 */
export async function loadState(kbDir: string, server: string, kb: string): Promise<SyncState> {
  const fresh: SyncState = { server, kb, initialized: false, records: new Map() };
  let file: StateFile;
  try {
    file = JSON.parse(await readFile(path.join(kbDir, STATE_FILE), "utf8")) as StateFile;
  } catch {
    return fresh;
  }
  if (file.version !== 1 || file.server !== server || file.kb !== kb) return fresh;
  const records = new Map<string, SyncRecord>();
  for (const { id, ...record } of file.entries) records.set(id, record);
  return { server, kb, initialized: file.initialized === true, records };
}

/** Writes the state atomically (a temporary file renamed over the old one). */
export async function saveState(kbDir: string, state: SyncState): Promise<void> {
  const file: StateFile = {
    version: 1,
    server: state.server,
    kb: state.kb,
    initialized: state.initialized,
    entries: [...state.records].map(([id, record]) => ({ id, ...record })),
  };
  const target = path.join(kbDir, STATE_FILE);
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(file, null, 1)}\n`);
  await rename(temp, target);
}
