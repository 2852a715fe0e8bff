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
import type { BulkWriteResult } from "../shared/api-types";
import { chunkBySize } from "../shared/chunk";
import type { EntryEventMessage } from "../shared/messages";
import { isUniqueViolation } from "../storage/db";
import { type EntryDigest, getEntryDigests } from "../storage/entry-digests";
import { entryKey } from "../storage/entry-keys";
import type { EntryRow } from "../storage/schema";
import { type BulkMode, batchItemSchema, batchRequestSchema, type InvalidItem } from "./bulk-input";
import { contentHash } from "./content";
import type { EntriesDeps } from "./entries-service";
import { slugify } from "./slug";
import {
  applyWrites,
  type EmbedPath,
  embedPath,
  type PlannedWrite,
  planWrite,
  statementCount,
  type WriteTarget,
  writeEvent,
  writeInRounds,
} from "./write-plan";

/** What EntriesService needs, plus the batch size limit. */
export interface BulkWriteDeps extends EntriesDeps {
  /**
   * Statements per D1 batch. A valid request (≤ 500 entries, two statements each, every one far
   * under D1's 100 bound parameters) fits one batch, so the default makes every request one
   * atomic write; a smaller value (tests) splits it, and the writes stay idempotent.
   */
  maxStatementsPerTransaction?: number;
}

/** A validated item, ready to write. */
interface Planned extends WriteTarget {
  index: number;
}

/** A planned write with the item it writes. */
type ItemWrite = PlannedWrite & { item: Planned };

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
      if (kbName !== undefined) {
        const key = entryKey(kbName, id);
        const first = firstByKey.get(key);
        if (first === undefined) firstByKey.set(key, index);
        else errors.push({ path: "id", message: `duplicates the id of entry ${first}` });
      }
      if (kbName === undefined || errors.length > 0) {
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
    const { db } = this.deps;
    const path = this.path();
    const result = {
      created: 0,
      updated: 0,
      unchanged: 0,
      queued: 0,
      events: [] as EntryEventMessage[],
    };
    await writeInRounds(items, async (todo) => {
      const current = await this.readCurrent(todo);
      if (mode === "create") {
        const existing = todo.filter((i) => current.has(entryKey(i.kbName, i.id)));
        if (existing.length > 0) throw entriesExist(existing, result.created);
      }
      const now = this.now();
      const writes: ItemWrite[] = [];
      for (const item of todo) {
        const digest = current.get(entryKey(item.kbName, item.id));
        const write = planWrite(db, item, digest, now, path);
        if (digest && sameEntry(digest, write.row)) result.unchanged++;
        else writes.push({ ...write, item });
      }
      const lost: Planned[] = [];
      const max = Math.max(this.deps.maxStatementsPerTransaction ?? 1000, 2);
      for (const chunk of chunkBySize(writes, statementCount, max)) {
        let outcomes: { write: ItemWrite; applied: boolean }[];
        try {
          outcomes = await applyWrites(db, chunk);
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          // Someone created one of these ids after our read; nothing of this chunk was applied.
          if (mode === "create") {
            throw entriesExist(await this.existingAmong(todo), result.created);
          }
          lost.push(...chunk.map((w) => w.item));
          continue;
        }
        for (const { write, applied } of outcomes) {
          if (!applied) {
            lost.push(write.item);
            continue;
          }
          if (write.kind === "create") result.created++;
          else result.updated++;
          if (write.followUp === "enqueue") result.queued++;
          result.events.push(writeEvent(write));
        }
      }
      return lost;
    });
    return result;
  }

  private async readCurrent(items: Planned[]): Promise<Map<string, EntryDigest>> {
    const digests = await getEntryDigests(
      this.deps.db,
      items.map((i) => ({ kbName: i.kbName, id: i.id })),
    );
    return new Map(digests.map((d) => [entryKey(d.kbName, d.id), d]));
  }

  private async existingAmong(items: Planned[]): Promise<Planned[]> {
    const current = await this.readCurrent(items);
    return items.filter((i) => current.has(entryKey(i.kbName, i.id)));
  }

  /** How embedding follows the writes here (see `embedPath`). */
  private path(): EmbedPath {
    return embedPath(this.deps.settings, this.deps.notifier);
  }

  /**
   * One notification for the whole request. In background mode it kicks the worker; where no
   * worker runs, a bounded number of due rows is embedded now and the rest stay queued.
   */
  private async afterWrite(
    events: EntryEventMessage[],
    queued: number,
  ): Promise<Pick<BulkWriteResult, "embed_mode" | "embedded">> {
    const { notifier } = this.deps;
    const mode = this.path();
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
