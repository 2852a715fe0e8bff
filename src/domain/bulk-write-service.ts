/**
 * Many entries in one request (`POST /api/entries/batch`), all or nothing: every item is
 * validated and every existing row read before anything is written, then entries and their queue
 * rows go to D1 together. Entries whose embedded text is unchanged are not re-queued, and entries
 * with no field changed are not rewritten at all. The worker hears about the request once.
 */

import { embedNow } from "../embedding/embed-now";
import { roundContext } from "../embedding/embed-round";
import { ApiError, invalidRequest } from "../errors";
import { entryIdSchema } from "../model/fields";
import { limits } from "../model/limits";
import type { EntryEventMessage } from "../shared/messages";
import { type Db, isUniqueViolation, runAtomic, type Statement } from "../storage/db";
import { insertEntry, type ReadVersion, updateEntryIfVersion } from "../storage/entries";
import { type EntryDigest, getEntryDigests } from "../storage/entry-digests";
import { dequeueIfStale, enqueue } from "../storage/queue";
import type { EntryRow } from "../storage/schema";
import { type BulkMode, batchItemSchema, batchRequestSchema, type InvalidItem } from "./bulk-input";
import { contentHash } from "./content";
import type { EntriesDeps } from "./entries-service";
import { toRowFields } from "./entry";
import { entryChanged } from "./entry-events";
import type { EntryFields } from "./entry-input";
import { slugify } from "./slug";

/** What a batch did. `ids` follow the request's order. */
export interface BulkWriteResult {
  created: number;
  updated: number;
  unchanged: number;
  ids: string[];
  /** Entries whose embedded text this request queued (new, or text changed). */
  queued: number;
  /**
   * How the queued entries get embedded: `background` (the worker was kicked once), `sync`
   * (up to `limits.syncEmbedRows` due rows embedded before answering; `embedded` says how many, the
   * rest stay queued for `POST /api/index/embed`), or `off` (nothing queued).
   */
  embed_mode: "background" | "sync" | "off";
  embedded: number;
}

/** What EntriesService needs, plus the batch size limit. */
export interface BulkWriteDeps extends EntriesDeps {
  /**
   * Statements per D1 batch. A valid request (≤ 500 entries, two statements each, every one far
   * under D1's 100 bound parameters) fits one batch, so the default makes every request one
   * atomic write; a smaller value (tests) splits it, and the writes stay idempotent.
   */
  maxStatementsPerTransaction?: number;
}

const MAX_ROUNDS = 5;

/** A validated item, ready to write. */
interface Planned {
  index: number;
  kbName: string;
  id: string;
  fields: EntryFields;
  hash: string;
}

/**
 * What a write does to the queue: queue its text, drop a row of an older text (a text change
 * with embedding off, see `dequeueIfStale`), or nothing (the text is unchanged).
 */
type QueueFollowUp = "enqueue" | "dequeue-stale" | "none";

type Write =
  | { kind: "create"; item: Planned; row: EntryRow; followUp: QueueFollowUp }
  | {
      kind: "update";
      item: Planned;
      row: EntryRow;
      /** The version the plan was made from: the update applies only while it is current. */
      read: ReadVersion;
      followUp: QueueFollowUp;
    };

export class BulkWriteService {
  private readonly now: () => number;

  constructor(private readonly deps: BulkWriteDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Validates and writes a batch; throws 400 (invalid items), 409 (create mode: ids exist). */
  async write(body: unknown): Promise<BulkWriteResult> {
    const { mode, items } = await this.validate(body);
    const outcome = await this.writeAll(items, mode);
    const embedding = await this.afterWrite(outcome.events, outcome.queued);
    return {
      created: outcome.created,
      updated: outcome.updated,
      unchanged: outcome.unchanged,
      ids: items.map((i) => i.id),
      queued: outcome.queued,
      ...embedding,
    };
  }

  /** Every item checked; a 400 names each invalid one with all of its reasons. */
  private async validate(body: unknown): Promise<{ mode: BulkMode; items: Planned[] }> {
    const envelope = batchRequestSchema.safeParse(body);
    if (!envelope.success) throw invalidRequest(envelope.error, "body");
    const { kb, mode, entries } = envelope.data;
    const invalid: InvalidItem[] = [];
    const items: Planned[] = [];
    const firstByKey = new Map<string, number>();
    for (const [index, raw] of entries.entries()) {
      const parsed = batchItemSchema.safeParse(raw);
      if (!parsed.success) {
        invalid.push({
          index,
          ...idOf(raw),
          errors: parsed.error.issues.map((i) => ({
            path: i.path.map(String).join("."),
            message: i.message,
          })),
        });
        continue;
      }
      const { kb: itemKb, id: givenId, ...fields } = parsed.data;
      const kbName = itemKb ?? kb;
      const id = givenId ?? slugify(fields.title);
      const errors: InvalidItem["errors"] = [];
      if (kbName === undefined) {
        errors.push({ path: "kb", message: "kb is required, in the item or the request" });
      }
      if (id.length === 0) {
        errors.push({
          path: "id",
          message: "the title has no letters or digits to make an id from; give an id",
        });
      } else if (!entryIdSchema.safeParse(id).success) {
        errors.push({ path: "id", message: `the id made from the title ('${id}') is invalid` });
      }
      const key = `${kbName}\u0000${id}`;
      const first = firstByKey.get(key);
      if (first !== undefined && kbName !== undefined) {
        errors.push({ path: "id", message: `duplicates the id of entry ${first}` });
      } else {
        firstByKey.set(key, index);
      }
      if (errors.length > 0 || kbName === undefined) {
        invalid.push({ index, id, errors });
        continue;
      }
      items.push({ index, kbName, id, fields, hash: await contentHash(fields) });
    }
    if (invalid.length > 0) {
      throw new ApiError(
        400,
        "invalid_entries",
        `${invalid.length} of ${entries.length} entries are invalid; nothing was written`,
        invalid,
      );
    }
    return { mode, items };
  }

  /**
   * Reads what exists, plans each item (create, update, or leave alone) and writes. A guarded
   * update that lost a race with another writer, or an insert that met a concurrent create, is
   * planned again from a fresh read (nothing of its D1 batch was applied).
   */
  private async writeAll(items: Planned[], mode: BulkMode) {
    const { db, settings } = this.deps;
    const queueing = settings.embedMode !== "off";
    const result = {
      created: 0,
      updated: 0,
      unchanged: 0,
      queued: 0,
      events: [] as EntryEventMessage[],
    };
    let todo = items;
    for (let round = 0; round < MAX_ROUNDS && todo.length > 0; round++) {
      const current = await this.readCurrent(todo);
      if (mode === "create") {
        const existing = todo.filter((i) => current.has(keyOf(i)));
        if (existing.length > 0) throw entriesExist(existing, result.created);
      }
      const now = this.now();
      const stamp = new Date(now).toISOString();
      const writes: Write[] = [];
      for (const item of todo) {
        const digest = current.get(keyOf(item));
        const row: EntryRow = {
          ...toRowFields(item.fields),
          kbName: item.kbName,
          id: item.id,
          createdAt: digest?.createdAt ?? stamp,
          updatedAt: stamp,
          contentHash: item.hash,
          version: digest ? digest.version + 1 : 1,
        };
        if (!digest) {
          writes.push({ kind: "create", item, row, followUp: queueing ? "enqueue" : "none" });
        } else if (sameEntry(digest, row)) {
          result.unchanged++;
        } else {
          const textChanged = digest.contentHash !== item.hash;
          const followUp = !textChanged ? "none" : queueing ? "enqueue" : "dequeue-stale";
          writes.push({ kind: "update", item, row, read: digest, followUp });
        }
      }
      const retry: Planned[] = [];
      for (const chunk of chunkWrites(writes, this.deps.maxStatementsPerTransaction ?? 1000)) {
        let results: D1Result<Record<string, unknown>>[];
        try {
          results = await runAtomic(
            db,
            chunk.flatMap((w) => statementsOf(db, w, now)),
          );
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          // Someone created one of these ids after our read; nothing of this chunk was applied.
          if (mode === "create") {
            throw entriesExist(await this.existingAmong(todo), result.created);
          }
          retry.push(...chunk.map((w) => w.item));
          continue;
        }
        let at = 0;
        for (const w of chunk) {
          // A guarded update returns its row only if it applied (inserts return nothing).
          const applied = w.kind === "create" || (results[at]?.results.length ?? 0) > 0;
          at += statementCount(w);
          if (!applied) {
            retry.push(w.item);
            continue;
          }
          if (w.kind === "create") result.created++;
          else result.updated++;
          if (w.followUp === "enqueue") result.queued++;
          result.events.push(
            entryChanged(w.kind === "create" ? "entry_created" : "entry_updated", w.row),
          );
        }
      }
      todo = retry;
    }
    if (todo.length > 0) {
      throw new ApiError(
        409,
        "write_conflict",
        `${todo.length} entries kept changing under concurrent writes; the others were written, try again`,
        todo.map((i) => ({ index: i.index, kb: i.kbName, id: i.id })),
      );
    }
    return result;
  }

  private async readCurrent(items: Planned[]): Promise<Map<string, EntryDigest>> {
    const digests = await getEntryDigests(
      this.deps.db,
      items.map((i) => ({ kbName: i.kbName, id: i.id })),
    );
    return new Map(digests.map((d) => [`${d.kbName}\u0000${d.id}`, d]));
  }

  private async existingAmong(items: Planned[]): Promise<Planned[]> {
    const current = await this.readCurrent(items);
    return items.filter((i) => current.has(keyOf(i)));
  }

  /**
   * One notification for the whole request. In background mode it kicks the worker; where no
   * worker runs, a bounded number of due rows is embedded now and the rest stay queued.
   */
  private async afterWrite(
    events: EntryEventMessage[],
    queued: number,
  ): Promise<Pick<BulkWriteResult, "embed_mode" | "embedded">> {
    const { settings, notifier } = this.deps;
    const mode =
      settings.embedMode === "off"
        ? "off"
        : settings.embedMode === "background" && notifier.present
          ? "background"
          : "sync";
    if (mode !== "sync" || queued === 0) {
      // The one notification of this request: subscribers hear of every write, the worker is
      // kicked only if something was queued.
      if (events.length > 0) this.deps.defer(notifier.afterWrite(events, queued > 0));
      return { embed_mode: mode, embedded: 0 };
    }
    const done = await this.embedDue(Math.min(queued, limits.syncEmbedRows));
    this.deps.defer(notifier.afterWrite([...events, ...done.events], done.left));
    return { embed_mode: "sync", embedded: done.embedded };
  }

  /** Sync mode: embeds up to `limit` due rows in batches, through the embedding round code. */
  private async embedDue(limit: number) {
    const { db, settings } = this.deps;
    const events: EntryEventMessage[] = [];
    let embedded = 0;
    let claimedTotal = 0;
    let left = false;
    while (claimedTotal < limit) {
      const run = await embedNow(
        roundContext(db, this.deps.vectors, this.deps.embedder(), settings, this.now),
        settings.leaseMs,
        { due: Math.min(settings.batchSize, limit - claimedTotal) },
      );
      events.push(...run.events);
      if (run.claimed === 0) break;
      claimedTotal += run.claimed;
      const { outcome } = run;
      embedded += outcome.completed.length;
      if (outcome.retrying > 0) left = true;
    }
    return { embedded, events, left: left || claimedTotal >= limit };
  }
}

function keyOf(item: { kbName: string; id: string }): string {
  return `${item.kbName}\u0000${item.id}`;
}

/** The item's id for an error report, when the raw item has a usable one. */
function idOf(raw: unknown): { id?: string } {
  if (typeof raw !== "object" || raw === null) return {};
  const id: unknown = Reflect.get(raw, "id");
  if (typeof id === "string") return { id };
  const title: unknown = Reflect.get(raw, "title");
  return typeof title === "string" && slugify(title) !== "" ? { id: slugify(title) } : {};
}

function entriesExist(items: Planned[], written: number): ApiError {
  const suffix = written > 0 ? ` (${written} entries of earlier D1 batches were written)` : "";
  return new ApiError(
    409,
    "entries_exist",
    `${items.length} entries already exist (mode "create"); nothing was written${suffix}`,
    items.map((i) => ({ index: i.index, kb: i.kbName, id: i.id })),
  );
}

/**
 * True when no field differs. The body is compared through the hash: with title and summary
 * equal, equal hashes of the joined text mean equal bodies.
 */
function sameEntry(digest: EntryDigest, row: EntryRow): boolean {
  return (
    digest.contentHash === row.contentHash &&
    digest.title === row.title &&
    digest.summary === row.summary &&
    digest.entryType === row.entryType &&
    digest.tags === row.tags &&
    digest.importance === row.importance &&
    digest.metadata === row.metadata
  );
}

function statementsOf(db: Db, w: Write, now: number): Statement[] {
  const write =
    w.kind === "create" ? insertEntry(db, w.row) : updateEntryIfVersion(db, w.row, w.read);
  // Both follow-ups are conditioned on the text the entry holds after the batch, so a lost race
  // queues nothing stale and drops only a row that was already stale.
  if (w.followUp === "enqueue") {
    return [write, enqueue(w.row.kbName, w.row.id, w.row.contentHash, now)];
  }
  if (w.followUp === "dequeue-stale") return [write, dequeueIfStale(w.row.kbName, w.row.id)];
  return [write];
}

/** How many statements `statementsOf` makes for `w`. */
function statementCount(w: Write): number {
  return w.followUp === "none" ? 1 : 2;
}

/** Splits writes into D1 batches of at most `max` statements, never splitting one entry's pair. */
function chunkWrites(writes: Write[], max: number): Write[][] {
  const chunks: Write[][] = [];
  let chunk: Write[] = [];
  let size = 0;
  for (const w of writes) {
    const n = statementCount(w);
    if (size + n > Math.max(max, 2) && chunk.length > 0) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(w);
    size += n;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
