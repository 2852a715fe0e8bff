/**
 * The one write core of entries: plan a write from what is stored (create, or a guarded update of
 * the version read), decide what it does to the queue and what embedding follows, run planned
 * writes in one D1 batch and say by name which applied, and retry the ones that lost a race.
 * `EntriesService` (one entry) and `BulkWriteService` (many) both write through it.
 */
import type { Settings } from "../config";
import { ApiError } from "../errors";
import type { EntryChangedMessage } from "../shared/messages";
import { type Db, groupSize, runAtomicGroups, type StatementGroup } from "../storage/db";
import { insertEntry, type ReadVersion, updateEntryIfVersion } from "../storage/entries";
import { dequeueIfStale, enqueue } from "../storage/queue-enqueue";
import type { EntryRow } from "../storage/schema";
import type { EmbedNotifier } from "./embed-notifier";
import { toRowFields } from "./entry";
import { entryChanged } from "./entry-events";
import type { EntryFields } from "./entry-input";

/**
 * Rounds of read, plan and guarded write a write gets. Each lost round means another write
 * committed in between, so this only runs out under sustained contention (then 409).
 */
const MAX_WRITE_ROUNDS = 10;

/**
 * How the embedding of written text follows: queued for the background worker, embedded in the
 * request where no worker runs (`sync`), or not at all (`EMBED_MODE=off`).
 */
export type EmbedPath = "background" | "sync" | "off";

/** The path `settings` and the notifier give. */
export function embedPath(
  settings: Pick<Settings, "embedMode">,
  notifier: EmbedNotifier,
): EmbedPath {
  if (settings.embedMode === "off") return "off";
  return settings.embedMode === "background" && notifier.present ? "background" : "sync";
}

/**
 * What a write does to the queue: queue its text, drop a row of an older text (a text change with
 * embedding off, see `dequeueIfStale`), or nothing (the text is unchanged, or embedding is off).
 */
export type QueueFollowUp = "enqueue" | "dequeue-stale" | "none";

/** The stored state a write is planned from: its version, and the text hash it holds. */
export type StoredVersion = ReadVersion & { contentHash: string };

/** What to write: an entry's key and its new fields, with the hash of their embedded text. */
export interface WriteTarget {
  kbName: string;
  id: string;
  fields: EntryFields;
  hash: string;
}

/** The statements of one write, by name. */
type WriteStatements = StatementGroup<"entry" | "queue">;

/** A planned write: the row it writes, and its statements. */
export type PlannedWrite =
  | { kind: "create"; row: EntryRow; followUp: QueueFollowUp; statements: WriteStatements }
  | {
      kind: "update";
      row: EntryRow;
      /** The version the plan was made from: the update applies only while it is current. */
      read: StoredVersion;
      /** Whether the embedded text changes (a change of other fields only re-queues nothing). */
      textChanged: boolean;
      followUp: QueueFollowUp;
      statements: WriteStatements;
    };

/**
 * Plans writing `target` over `current` (a create where nothing is stored), at `now`. The update
 * is guarded by the version read; the queue statement is conditioned on the text the entry holds
 * after the batch, so a write that lost a race queues nothing stale and drops only a row that was
 * already stale.
 */
export function planWrite(
  db: Db,
  target: WriteTarget,
  current: StoredVersion | undefined,
  now: number,
  path: EmbedPath,
): PlannedWrite {
  const stamp = new Date(now).toISOString();
  const row: EntryRow = {
    ...toRowFields(target.fields),
    kbName: target.kbName,
    id: target.id,
    createdAt: current?.createdAt ?? stamp,
    updatedAt: stamp,
    contentHash: target.hash,
    version: current ? current.version + 1 : 1,
  };
  const queueing = path !== "off";
  if (!current) {
    const followUp = queueing ? "enqueue" : "none";
    const statements = { entry: insertEntry(db, row), queue: queueStatement(row, followUp, now) };
    return { kind: "create", row, followUp, statements };
  }
  const textChanged = current.contentHash !== target.hash;
  const followUp = !textChanged ? "none" : queueing ? "enqueue" : "dequeue-stale";
  const statements = {
    entry: updateEntryIfVersion(db, row, current),
    queue: queueStatement(row, followUp, now),
  };
  return { kind: "update", row, read: current, textChanged, followUp, statements };
}

function queueStatement(row: EntryRow, followUp: QueueFollowUp, now: number) {
  if (followUp === "enqueue") return enqueue(row.kbName, row.id, row.contentHash, now);
  if (followUp === "dequeue-stale") return dequeueIfStale(row.kbName, row.id);
  return undefined;
}

/** How many statements a planned write runs (for splitting writes into D1 batches). */
export function statementCount(write: PlannedWrite): number {
  return groupSize(write.statements);
}

/**
 * Runs planned writes as one D1 batch (atomic) and says which applied: an insert always (a clash
 * with an existing id throws, and then nothing of the batch applied), a guarded update only if
 * its guard held and it returned its row.
 */
export async function applyWrites<W extends PlannedWrite>(
  db: Db,
  writes: W[],
): Promise<{ write: W; applied: boolean }[]> {
  const results = await runAtomicGroups(
    db,
    writes.map((w) => w.statements),
  );
  return writes.map((write, i) => ({
    write,
    applied: write.kind === "create" || (results[i]?.entry?.results.length ?? 0) > 0,
  }));
}

/** The event that announces a committed write. */
export function writeEvent(write: PlannedWrite): EntryChangedMessage {
  return entryChanged(write.kind === "create" ? "entry_created" : "entry_updated", write.row);
}

/** An item of a write, as a conflict names it. */
export interface WriteItem {
  kbName: string;
  id: string;
  /** Its place in the request (bulk writes). */
  index?: number;
}

/**
 * Runs `round` until no item is left: each round plans from a fresh read and returns the items
 * whose guarded write lost a race with another writer (nothing of theirs was applied). Items still
 * left after the last round are a 409 `write_conflict` naming them; the others were written.
 */
export async function writeInRounds<T extends WriteItem>(
  items: T[],
  round: (todo: T[]) => Promise<T[]>,
): Promise<void> {
  let todo = items;
  for (let r = 0; r < MAX_WRITE_ROUNDS && todo.length > 0; r++) todo = await round(todo);
  if (todo.length > 0) throw writeConflict(todo, items.length);
}

/**
 * `writeInRounds` for one item: `attempt` plans from a fresh read and returns what it wrote, or
 * undefined when its guarded write lost a race (then it runs again).
 */
export async function writeOneInRounds<W>(
  item: WriteItem,
  attempt: () => Promise<W | undefined>,
): Promise<W> {
  for (let r = 0; r < MAX_WRITE_ROUNDS; r++) {
    const written = await attempt();
    if (written !== undefined) return written;
  }
  throw writeConflict([item], 1);
}

function writeConflict(left: WriteItem[], total: number): ApiError {
  const [only] = left;
  const message =
    total === 1 && only
      ? `entry '${only.id}' kept changing under concurrent writes; try again`
      : `${left.length} entries kept changing under concurrent writes; the others were written, try again`;
  return new ApiError(
    409,
    "write_conflict",
    message,
    left.map((i) => ({ index: i.index, kb: i.kbName, id: i.id })),
  );
}
