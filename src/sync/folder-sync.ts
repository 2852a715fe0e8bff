/**
 * Syncs one KB folder with its KB in the service, both ways: plans with `planSync` and carries
 * the plan out, recording each agreed entry in the folder's state. Passes run one at a time.
 *
 * Nothing is lost when a pass stops anywhere: every step is idempotent, and the next pass finds
 * the sides equal (and records them), or finds what is left to do.
 */
import path from "node:path";
import { entryToMarkdown } from "../export/entry-file.js";
import { entryPath, typeFolders } from "../export/layout.js";
import type { Skipped } from "../import/read-kb.js";
import {
  exists,
  fileHash,
  type LocalRead,
  readLocal,
  removeFile,
  writeFileAtomic,
} from "./local.js";
import { CONFLICT_SUFFIX, planSync, type RemoteEntry, type SyncAction } from "./plan.js";
import type { PushItem, Remote } from "./remote.js";
import { loadState, type SyncRecord, type SyncState, saveState } from "./state.js";

/** What a pass did (or, in a dry run, would do) to one entry. */
export interface SyncEvent {
  type: "sync";
  kb: string;
  id: string;
  /** create/update/delete act on the service; write_file/delete_file on the folder. */
  action:
    | "create"
    | "update"
    | "delete"
    | "rename"
    | "write_file"
    | "delete_file"
    | "conflict"
    | "skipped";
  /** The file, relative to the KB folder. */
  path: string;
  note?: string;
  dry_run?: true;
}

/** The outcome of one pass. */
export interface PassReport {
  kb: string;
  dir: string;
  events: SyncEvent[];
  /** Entries in conflict after the pass (new or still unresolved). */
  conflicts: { id: string; path: string; server_copy: string }[];
  /** Files the reader or the API would not take. */
  skipped: Skipped[];
}

/** Options of one pass. */
export interface PassOptions {
  dryRun?: boolean;
  /** Re-read only these ids from the service (a watcher's events); all of the KB when absent. */
  remoteIds?: Set<string>;
  /**
   * Whether the folder may have changed since the last pass (default true). A watcher passes
   * false for a pass the service's events alone asked for: the folder as last read is reused.
   * Files are checked again before they are overwritten or removed, so a stale read loses nothing.
   */
  localChanged?: boolean;
}

/** Saves the state after this many steps of a long pass, so a stop redoes little. */
const SAVE_EVERY = 200;
/** Up to this many pushed entries are read back one by one; more, and the KB is listed. */
const READ_BACK_SINGLY = 20;

/** Actions that write to the folder (so its last reading is out of date). */
const WRITES_FILES = new Set<SyncAction["kind"]>([
  "pull",
  "delete_local",
  "conflict",
  "unresolved",
]);

/** One KB folder under sync. */
export class FolderSync {
  private remoteCache: Map<string, RemoteEntry> | undefined;
  /** The folder as last read; dropped whenever the sync itself writes to it. */
  private localCache: LocalRead | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private steps = 0;

  private constructor(
    readonly dir: string,
    readonly kb: string,
    private readonly remote: Remote,
    private readonly state: SyncState,
    private readonly emit: (event: SyncEvent) => void,
  ) {}

  /** Opens the folder's state for `kb` on `server`. */
  static async open(
    dir: string,
    kb: string,
    server: string,
    remote: Remote,
    emit: (event: SyncEvent) => void,
  ): Promise<FolderSync> {
    return new FolderSync(dir, kb, remote, await loadState(dir, server, kb), emit);
  }

  /** Forgets what was read of both sides: the next pass reads the folder and lists the KB. */
  invalidate(): void {
    this.remoteCache = undefined;
    this.localCache = undefined;
  }

  /** Runs a pass after any pass already running. */
  pass(options: PassOptions = {}): Promise<PassReport> {
    const next = this.queue.then(() => this.runPass(options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runPass(options: PassOptions): Promise<PassReport> {
    const dryRun = options.dryRun === true;
    const report: PassReport = {
      kb: this.kb,
      dir: this.dir,
      events: [],
      conflicts: [],
      skipped: [],
    };
    if (options.localChanged !== false || !this.localCache) {
      this.localCache = await readLocal(this.dir, this.kb);
    }
    const local = this.localCache;
    report.skipped.push(...local.skipped);
    const remote = await this.remoteSide(options.remoteIds);
    const conflictFiles = new Set<string>();
    for (const record of this.state.records.values()) {
      const copy = `${record.path}${CONFLICT_SUFFIX}`;
      if (record.conflict && (await exists(path.join(this.dir, copy)))) conflictFiles.add(copy);
    }
    const actions = planSync({
      local: local.entries,
      remote,
      records: this.state.records,
      initialized: this.state.initialized,
      unreadable: new Set(local.skipped.map((s) => s.path)),
      conflictFiles,
    });
    const event = (e: Omit<SyncEvent, "type" | "kb">) => {
      const full: SyncEvent = {
        type: "sync",
        kb: this.kb,
        ...e,
        ...(dryRun ? { dry_run: true } : {}),
      };
      report.events.push(full);
      this.emit(full);
    };
    const pushes: Extract<SyncAction, { kind: "push" }>[] = [];
    for (const action of actions) {
      if (action.kind === "push") pushes.push(action);
      else await this.apply(action, dryRun, event, report);
    }
    await this.push(pushes, dryRun, event, report);
    if (actions.some((a) => WRITES_FILES.has(a.kind))) this.localCache = undefined;
    if (!dryRun) {
      this.state.initialized = true;
      await saveState(this.dir, this.state);
    }
    return report;
  }

  /** The service's entries of the KB: listed once, then kept current by `remoteIds`. */
  private async remoteSide(ids: Set<string> | undefined): Promise<Map<string, RemoteEntry>> {
    if (!this.remoteCache || ids === undefined) {
      this.remoteCache = await this.remote.list(this.kb);
      return this.remoteCache;
    }
    for (const id of ids) {
      const entry = await this.remote.get(this.kb, id);
      if (entry) this.remoteCache.set(id, entry);
      else this.remoteCache.delete(id);
    }
    return this.remoteCache;
  }

  private async apply(
    action: Exclude<SyncAction, { kind: "push" }>,
    dryRun: boolean,
    event: (e: Omit<SyncEvent, "type" | "kb">) => void,
    report: PassReport,
  ): Promise<void> {
    const record = this.state.records.get(action.id);
    switch (action.kind) {
      case "delete_remote":
        event({
          id: action.id,
          action: "delete",
          path: action.path,
          note: action.path === "" ? "not in the folder" : "file removed",
        });
        if (dryRun) return;
        await this.remote.remove(this.kb, action.id, record?.updated_at);
        this.remoteCache?.delete(action.id);
        this.state.records.delete(action.id);
        break;
      case "delete_local": {
        const file = path.join(this.dir, action.path);
        // The file may have changed since it was read: then it is not removed (the next pass decides).
        if (record && (await fileHash(file)) !== record.local && (await exists(file))) return;
        event({
          id: action.id,
          action: "delete_file",
          path: action.path,
          note: "deleted on the server",
        });
        if (dryRun) return;
        await removeFile(file);
        this.state.records.delete(action.id);
        break;
      }
      case "pull": {
        const rel = action.path ?? (await this.newFileFor(action.remote));
        const file = path.join(this.dir, rel);
        if (record && !action.created && (await fileHash(file)) !== record.local) return;
        event({
          id: action.id,
          action: "write_file",
          path: rel,
          note: action.created ? "created on the server" : "changed on the server",
        });
        if (dryRun) return;
        await writeFileAtomic(file, entryToMarkdown(action.remote.entry));
        this.setRecord(action.id, {
          path: rel,
          local: (await fileHash(file)) ?? "",
          remote: action.remote.hash,
          updated_at: action.remote.entry.updated_at,
        });
        break;
      }
      case "record":
        if (action.renamed) {
          event({
            id: action.id,
            action: "rename",
            path: action.local.path,
            note: `was ${record?.path ?? "?"}`,
          });
        }
        if (dryRun) return;
        this.setRecord(action.id, {
          path: action.local.path,
          local: action.local.hash,
          remote: action.remote.hash,
          updated_at: action.remote.entry.updated_at,
        });
        break;
      case "forget":
        if (!dryRun) this.state.records.delete(action.id);
        break;
      case "conflict": {
        const copy = `${action.path}${CONFLICT_SUFFIX}`;
        event({
          id: action.id,
          action: "conflict",
          path: action.path,
          note: `${action.reason}; the server's version is in ${copy}`,
        });
        report.conflicts.push({ id: action.id, path: action.path, server_copy: copy });
        if (dryRun) return;
        await writeFileAtomic(path.join(this.dir, copy), entryToMarkdown(action.remote.entry));
        this.setRecord(action.id, {
          path: action.path,
          local: record?.local ?? "",
          remote: action.remote.hash,
          updated_at: action.remote.entry.updated_at,
          conflict: true,
        });
        break;
      }
      case "unresolved": {
        const copy = `${action.path}${CONFLICT_SUFFIX}`;
        report.conflicts.push({ id: action.id, path: action.path, server_copy: copy });
        if (!record || !action.remote || action.remote.hash === record.remote) return;
        event({
          id: action.id,
          action: "conflict",
          path: action.path,
          note: `changed again on the server; ${copy} updated`,
        });
        if (dryRun) return;
        await writeFileAtomic(path.join(this.dir, copy), entryToMarkdown(action.remote.entry));
        this.setRecord(action.id, {
          ...record,
          remote: action.remote.hash,
          updated_at: action.remote.entry.updated_at,
        });
        break;
      }
      case "unreadable":
        // The reader's reason is in the report's `skipped`; the entry is left alone meanwhile.
        break;
    }
    await this.maybeSave(dryRun);
  }

  private async push(
    actions: Extract<SyncAction, { kind: "push" }>[],
    dryRun: boolean,
    event: (e: Omit<SyncEvent, "type" | "kb">) => void,
    report: PassReport,
  ): Promise<void> {
    if (actions.length === 0) return;
    const items: PushItem[] = actions.map((a) => ({
      local: a.local,
      file: a.local.path,
      base: this.state.records.get(a.id)?.updated_at,
    }));
    const refused = dryRun ? [] : await this.remote.push(this.kb, items);
    const refusedPaths = new Map(refused.map((s) => [s.path, s.reason]));
    const sent: typeof actions = [];
    for (const a of actions) {
      const reason = refusedPaths.get(a.local.path);
      if (reason !== undefined) {
        report.skipped.push({ path: a.local.path, reason });
        event({ id: a.id, action: "skipped", path: a.local.path, note: reason });
        continue;
      }
      event({
        id: a.id,
        action: a.created ? "create" : "update",
        path: a.local.path,
        ...(a.note ? { note: a.note } : {}),
      });
      sent.push(a);
    }
    if (dryRun || sent.length === 0) return;
    // Read back what the service stored: its fingerprint and version are the record's.
    if (sent.length <= READ_BACK_SINGLY && this.remoteCache) {
      await this.remoteSide(new Set(sent.map((a) => a.id)));
    } else {
      this.remoteCache = await this.remote.list(this.kb);
    }
    for (const a of sent) {
      const stored = this.remoteCache?.get(a.id);
      if (!stored) continue;
      this.setRecord(a.id, {
        path: a.local.path,
        local: a.local.hash,
        remote: stored.hash,
        updated_at: stored.entry.updated_at,
      });
    }
  }

  /** A path for an entry new to the folder, in its type's folder, not taken by another file. */
  private async newFileFor(remote: RemoteEntry): Promise<string> {
    const folders = await typeFolders(this.dir);
    const file = entryPath(this.dir, remote.entry, folders);
    let candidate = file;
    for (let n = 2; await exists(candidate); n++) candidate = file.replace(/\.md$/, `-${n}.md`);
    return path.relative(this.dir, candidate);
  }

  private setRecord(id: string, record: SyncRecord): void {
    this.state.records.set(id, record);
  }

  private async maybeSave(dryRun: boolean): Promise<void> {
    if (dryRun || ++this.steps % SAVE_EVERY !== 0) return;
    await saveState(this.dir, this.state);
  }
}
