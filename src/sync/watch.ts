/**
 * `sync --watch`: follows the folders' files (chokidar, with editors' atomic saves and half-
 * written files waited out) and the service's `/ws` events, and runs a pass of the KB concerned
 * after a short quiet time. A file event re-reads the folder; a service event re-reads only the
 * entries it names. Passes of one KB never overlap.
 */
import path from "node:path";
import { type FSWatcher, watch } from "chokidar";
import type { ApiClient } from "../cli/client.js";
import { type EventStream, subscribe } from "../cli/events.js";
import type { EntryEventMessage } from "../shared/messages.js";
import type { FolderSync, PassReport } from "./folder-sync.js";
import { CONFLICT_SUFFIX } from "./plan.js";

/** How long a burst of changes must be quiet before a pass runs. */
const DEBOUNCE_MS = 150;
/** Wait after the event stream drops before reconnecting. */
const RECONNECT_MS = 1000;

/** What the watcher reports. */
export interface WatchHooks {
  /** After every pass (its events already emitted through the FolderSync). */
  onPass(report: PassReport): void;
  /** An embedding event for an entry of a synced KB. */
  onEmbed(message: EntryEventMessage): void;
  /** A pass or the event stream failed; the watcher goes on. */
  onError(message: string): void;
}

/** A running watch. */
export interface Watching {
  close(): Promise<void>;
}

/** What is waiting for one KB's next pass. */
interface Pending {
  timer: NodeJS.Timeout | undefined;
  /** Entries the service said changed; undefined means "list the whole KB". */
  remoteIds: Set<string> | undefined;
  /** A file event came in: the folder must be read again. */
  localChanged: boolean;
  running: Promise<unknown>;
}

/** Starts watching; resolves once the files are watched and the event stream is open. */
export async function watchFolders(
  syncs: FolderSync[],
  client: ApiClient,
  hooks: WatchHooks,
): Promise<Watching> {
  const byKb = new Map(syncs.map((s) => [s.kb, s]));
  const pending = new Map<FolderSync, Pending>(
    syncs.map((s) => [
      s,
      { timer: undefined, remoteIds: new Set(), localChanged: false, running: Promise.resolve() },
    ]),
  );
  let closed = false;

  const schedule = (sync: FolderSync, ids: Set<string> | undefined | "local") => {
    const p = pending.get(sync);
    if (!p || closed) return;
    if (ids === undefined) {
      // A full pass (after a reconnect): both sides are read again.
      p.remoteIds = undefined;
      p.localChanged = true;
    } else if (ids === "local") p.localChanged = true;
    else for (const id of ids) p.remoteIds?.add(id);
    clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      const { remoteIds, localChanged } = p;
      p.remoteIds = new Set();
      p.localChanged = false;
      p.running = sync.pass({ remoteIds, localChanged }).then(hooks.onPass, (error: unknown) => {
        hooks.onError(`${sync.kb}: ${error instanceof Error ? error.message : String(error)}`);
        // What was read may be out of date after a failure: read both sides again next time.
        sync.invalidate();
      });
    }, DEBOUNCE_MS);
  };

  const watcher: FSWatcher = watch(
    syncs.map((s) => s.dir),
    {
      ignoreInitial: true,
      atomic: true,
      awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 },
      // Dot files (editors' swap and temporary files, the sync state) and anything but entry
      // files and conflict copies are none of the sync's business.
      ignored: (file, stats) =>
        path.basename(file).startsWith(".") ||
        (stats?.isFile() === true &&
          !file.endsWith(".md") &&
          !file.endsWith(`.md${CONFLICT_SUFFIX}`)),
    },
  );
  watcher.on("all", (_event, file) => {
    const sync = syncs.find((s) => file === s.dir || file.startsWith(`${s.dir}${path.sep}`));
    if (sync) schedule(sync, "local");
  });
  watcher.on("error", (error) => hooks.onError(`watcher: ${String(error)}`));
  await new Promise<void>((done) => watcher.once("ready", () => done()));

  let stream: EventStream | undefined;
  const onMessage = (message: Parameters<Parameters<typeof subscribe>[2]>[0]) => {
    if (!("kb_name" in message) || message.kb_name === null) return;
    const sync = byKb.get(message.kb_name);
    if (!sync || !("entry_id" in message)) return;
    if (message.type === "embed_complete" || message.type === "embed_failed") {
      hooks.onEmbed(message);
      return;
    }
    schedule(sync, new Set([message.entry_id]));
  };
  const connect = async (): Promise<void> => {
    while (!closed) {
      try {
        stream = await subscribe(client, undefined, onMessage);
        const current = stream;
        void current.closed.then(() => {
          if (closed) return;
          hooks.onError("event stream closed; reconnecting");
          // Events may have been missed while disconnected: list every KB again.
          for (const sync of syncs) schedule(sync, undefined);
          setTimeout(() => void connect(), RECONNECT_MS);
        });
        return;
      } catch (error) {
        hooks.onError(error instanceof Error ? error.message : String(error));
        await new Promise((done) => setTimeout(done, RECONNECT_MS));
      }
    }
  };
  await connect();

  return {
    async close() {
      closed = true;
      for (const p of pending.values()) clearTimeout(p.timer);
      stream?.close();
      await watcher.close();
      await Promise.all([...pending.values()].map((p) => p.running));
    },
  };
}
