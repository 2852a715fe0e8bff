/**
 * The three-way decision for each entry of a KB folder: what the file holds now, what the
 * service holds now, and what both held at the last sync (the record). A side that changed since
 * the record wins; when both changed to different things it is a conflict, and neither is
 * overwritten. Pure: it reads nothing and writes nothing.
 */
import type { ImportEntry } from "../import/to-entry.js";
import type { Entry } from "../shared/api-types.js";
import type { SyncRecord } from "./state.js";

/** The entry in a file. */
export interface LocalEntry {
  /** Relative to the KB folder. */
  path: string;
  entry: ImportEntry;
  hash: string;
}

/** The entry in the service. */
export interface RemoteEntry {
  entry: Entry;
  hash: string;
}

/** One thing to do. */
export type SyncAction =
  /** The file is new or changed: send it. */
  | { kind: "push"; id: string; local: LocalEntry; created: boolean; note?: string }
  /** The service's entry is new or changed: write its file. */
  | { kind: "pull"; id: string; remote: RemoteEntry; path: string | undefined; created: boolean }
  /** The file is gone: delete the entry. */
  | { kind: "delete_remote"; id: string; path: string }
  /** The entry is gone: delete the file. */
  | { kind: "delete_local"; id: string; path: string }
  /** Both sides agree (after a rename, or after a run that stopped midway): record it. */
  | { kind: "record"; id: string; local: LocalEntry; remote: RemoteEntry; renamed: boolean }
  /** Both sides are gone: forget the entry. */
  | { kind: "forget"; id: string }
  /** Both sides changed: keep the file, put the service's version beside it. */
  | { kind: "conflict"; id: string; path: string; remote: RemoteEntry; reason: string }
  /** Still in conflict: the service's version beside the file is refreshed if it changed. */
  | { kind: "unresolved"; id: string; path: string; remote: RemoteEntry | undefined }
  /** The file exists but could not be read: nothing is done until it can. */
  | { kind: "unreadable"; id: string; path: string };

/** Everything the decision needs for one KB. */
export interface PlanInput {
  local: Map<string, LocalEntry>;
  remote: Map<string, RemoteEntry>;
  records: Map<string, SyncRecord>;
  /** Whether a first sync completed (see SyncState). */
  initialized: boolean;
  /** Files (relative paths) that exist but were skipped by the reader. */
  unreadable: Set<string>;
  /** Conflict files (`<path>.server`, relative) that exist. */
  conflictFiles: Set<string>;
  /** Only these ids (a watcher's pass); every id when absent. */
  only?: Set<string>;
}

/** The suffix of the file holding the service's side of a conflict. */
export const CONFLICT_SUFFIX = ".server";

/** The actions for every entry, deletes of service entries first (so a dry run lists them first). */
export function planSync(input: PlanInput): SyncAction[] {
  const ids =
    input.only ?? new Set([...input.local.keys(), ...input.remote.keys(), ...input.records.keys()]);
  const actions: SyncAction[] = [];
  for (const id of [...ids].sort()) {
    const action = decide(id, input);
    if (action) actions.push(action);
  }
  const rank = (a: SyncAction) => (a.kind === "delete_remote" ? 0 : 1);
  return actions.sort((a, b) => rank(a) - rank(b));
}

function decide(id: string, input: PlanInput): SyncAction | undefined {
  const local = input.local.get(id);
  const remote = input.remote.get(id);
  const record = input.records.get(id);
  if (!record) return decideNew(id, local, remote, input.initialized);
  if (record.conflict) return decideConflict(id, local, remote, record, input);
  if (!local && input.unreadable.has(record.path))
    return { kind: "unreadable", id, path: record.path };
  const localChanged = local?.hash !== record.local;
  const remoteChanged = remote?.hash !== record.remote;
  if (!localChanged && !remoteChanged) {
    if (local && remote && local.path !== record.path) {
      return { kind: "record", id, local, remote, renamed: true };
    }
    return undefined;
  }
  if (localChanged && !remoteChanged) {
    if (local) return { kind: "push", id, local, created: !remote };
    return { kind: "delete_remote", id, path: record.path };
  }
  if (!localChanged) {
    if (remote)
      return { kind: "pull", id, remote, path: local?.path ?? record.path, created: false };
    return { kind: "delete_local", id, path: record.path };
  }
  // Both sides changed since the record.
  if (local && remote && local.hash === remote.hash) {
    return { kind: "record", id, local, remote, renamed: local.path !== record.path };
  }
  if (!local && !remote) return { kind: "forget", id };
  if (local && !remote) {
    // Nothing of the service's side is left to keep: the changed file wins and nothing is lost.
    return {
      kind: "push",
      id,
      local,
      created: true,
      note: "deleted on the server but changed here: re-created from the file (delete the file to delete it)",
    };
  }
  if (remote) {
    return {
      kind: "conflict",
      id,
      path: local?.path ?? record.path,
      remote,
      reason: local ? "changed here and on the server" : "deleted here but changed on the server",
    };
  }
  return undefined;
}

function decideNew(
  id: string,
  local: LocalEntry | undefined,
  remote: RemoteEntry | undefined,
  initialized: boolean,
): SyncAction | undefined {
  if (local && remote) {
    if (local.hash === remote.hash) return { kind: "record", id, local, remote, renamed: false };
    // Before the first sync the folder is the source of truth (as an import); after it, an
    // entry made on both sides since is a conflict.
    if (!initialized) return { kind: "push", id, local, created: false };
    return {
      kind: "conflict",
      id,
      path: local.path,
      remote,
      reason: "created here and on the server",
    };
  }
  if (local) return { kind: "push", id, local, created: true };
  if (remote) {
    if (initialized) return { kind: "pull", id, remote, path: undefined, created: true };
    return { kind: "delete_remote", id, path: "" };
  }
  return undefined;
}

/**
 * A conflict is resolved when its `.server` file is gone: the file (as edited, or as moved over
 * from `.server`) is then the truth; no file means delete.
 */
function decideConflict(
  id: string,
  local: LocalEntry | undefined,
  remote: RemoteEntry | undefined,
  record: SyncRecord,
  input: PlanInput,
): SyncAction | undefined {
  const path = local?.path ?? record.path;
  if (input.conflictFiles.has(`${record.path}${CONFLICT_SUFFIX}`)) {
    return { kind: "unresolved", id, path: record.path, remote };
  }
  if (local && remote && local.hash === remote.hash) {
    return { kind: "record", id, local, remote, renamed: path !== record.path };
  }
  if (local)
    return { kind: "push", id, local, created: !remote, note: "conflict resolved: the file wins" };
  if (!local && input.unreadable.has(record.path)) return { kind: "unreadable", id, path };
  if (remote) return { kind: "delete_remote", id, path: record.path };
  return { kind: "forget", id };
}
