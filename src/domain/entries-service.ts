/**
 * Entry writes and reads. Every write that changes the embedded text upserts the entry's queue
 * row in the same D1 batch (so they are never out of step); the worker is told afterwards, inside
 * `waitUntil`, never on the write's critical path.
 */
import type { Settings } from "../config";
import type { Embedder } from "../embedder/types";
import { embedNow } from "../embedding/embed-now";
import { roundContext } from "../embedding/embed-round";
import { ApiError } from "../errors";
import { limits } from "../model/limits";
import type { EmbeddingView, EntryList, WriteEmbeddingStatus } from "../shared/api-types";
import type { EntryChangedMessage } from "../shared/messages";
import { type Db, isUniqueViolation, runAtomicGroups } from "../storage/db";
import { deleteVectorIfNoEntry, getEmbeddingMeta } from "../storage/embeddings";
import { deleteEntryRow, getEntryRow, listEntryRows } from "../storage/entries";
import { getQueueRow } from "../storage/queue-admin";
import { dequeueIfNoEntry } from "../storage/queue-enqueue";
import type { EntryRow } from "../storage/schema";
import { passageSetOf, readPassageSet } from "../storage/vector-reads";
import type { VectorStore } from "../vectors/vector-store";
import { contentHash } from "./content";
import type { EmbedNotifier } from "./embed-notifier";
import { type Entry, toEntry, toListItem } from "./entry";
import type { CreateEntryInput, EntryFields, PatchEntryInput } from "./entry-input";
import { checkIfMatch, type IfMatch, preconditionFailed } from "./etag";
import { slugify } from "./slug";
import {
  applyWrites,
  embedPath,
  type PlannedWrite,
  planWrite,
  writeEvent,
  writeOneInRounds,
} from "./write-plan";

/** Everything the service needs, wired by the composition root. */
export interface EntriesDeps {
  db: Db;
  /** Where passage vectors are searched: told of deletes, and of sets committed here. */
  vectors: VectorStore;
  settings: Settings;
  notifier: EmbedNotifier;
  embedder: () => Embedder;
  /** Runs work after the response (the request's `waitUntil`). */
  defer: (work: Promise<unknown>) => void;
  now?: () => number;
}

export class EntriesService {
  private readonly now: () => number;

  constructor(private readonly deps: EntriesDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Creates an entry (409 if its id exists in the KB) and queues its embedding. */
  async create(
    input: CreateEntryInput,
  ): Promise<{ entry: Entry; embedding: { status: WriteEmbeddingStatus; error?: string } }> {
    const id = input.id ?? slugify(input.title);
    if (id.length === 0) {
      throw new ApiError(
        400,
        "invalid_id",
        "the title has no letters or digits to make an id from; give an id",
      );
    }
    const fields = fieldsOf(input);
    const target = { kbName: input.kb, id, fields, hash: await contentHash(fields) };
    const write = planWrite(this.deps.db, target, undefined, this.now(), this.path());
    try {
      await applyWrites(this.deps.db, [write]);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ApiError(409, "entry_exists", `entry '${id}' already exists in kb '${input.kb}'`);
      }
      throw err;
    }
    const embedding = await this.afterWrite(write);
    return { entry: toEntry(write.row), embedding };
  }

  /**
   * Replaces (PUT) or patches (PATCH) an entry; re-queues only if the embedded text changed.
   * Every round reads the latest row, applies the change to it (a patch only its named fields)
   * and writes guarded by the version it read; a write that lost a race is planned again from a
   * fresh read, so a concurrent change is never overwritten. With `ifMatch`, a row that is not
   * the version the client named is a 412, however recently it changed.
   */
  async update(
    kbName: string,
    id: string,
    change: EntryFields | PatchEntryInput,
    mode: "replace" | "patch",
    ifMatch?: IfMatch,
  ): Promise<{ entry: Entry; embedding: { status: WriteEmbeddingStatus; error?: string } }> {
    const { db } = this.deps;
    const written = await writeOneInRounds({ kbName, id }, async () => {
      const current = await getEntryRow(db, kbName, id);
      if (!current) throw notFound(kbName, id);
      checkIfMatch(ifMatch, current);
      const fields =
        mode === "replace" ? fieldsOf(change as EntryFields) : merge(toEntry(current), change);
      const target = { kbName, id, fields, hash: await contentHash(fields) };
      const write = planWrite(db, target, current, this.now(), this.path());
      const [result] = await applyWrites(db, [write]);
      // The guard failed: the entry changed since we read it (or was deleted). Read again and
      // redo on the latest row (or answer 404 / 412).
      return result?.applied ? write : undefined;
    });
    return { entry: toEntry(written.row), embedding: await this.afterWrite(written) };
  }

  /**
   * Deletes an entry with its queue row and vector, in one batch; with `ifMatch`, only the version
   * the client named (412 otherwise).
   */
  async delete(kbName: string, id: string, ifMatch?: IfMatch): Promise<void> {
    const { db } = this.deps;
    let read: EntryRow | undefined;
    if (ifMatch !== undefined && ifMatch !== "*") {
      read = await getEntryRow(db, kbName, id);
      if (!read) throw notFound(kbName, id);
      checkIfMatch(ifMatch, read);
    }
    // The queue row and vector go only if the entry did: a guarded delete that found a newer
    // version leaves all three in place.
    // The set read first, in the same transaction, is the one the delete removes: the vector
    // store is told which passages to drop.
    const [deleted] = await runAtomicGroups(db, [
      {
        set: readPassageSet(kbName, id),
        entry: deleteEntryRow(db, kbName, id, read),
        queue: dequeueIfNoEntry(kbName, id),
        vector: deleteVectorIfNoEntry(kbName, id),
      },
    ]);
    if ((deleted?.entry?.results.length ?? 0) === 0) {
      // Not there, or (guarded) no longer the version read: a write got in between.
      const latest = read ? await getEntryRow(db, kbName, id) : undefined;
      throw latest ? preconditionFailed(latest) : notFound(kbName, id);
    }
    const message: EntryChangedMessage = {
      type: "entry_deleted",
      kb_name: kbName,
      entry_id: id,
      content_hash: null,
      model: null,
      attempts: 0,
      queued_at: null,
      embedded_at: null,
    };
    this.deps.defer(this.deps.notifier.afterWrite([message], false));
    const previous = passageSetOf(deleted?.set?.results);
    if (previous) {
      // After the response, like the events: D1 no longer has the entry, so search drops any
      // hit the store still returns for it; a failure here leaves vectors search ignores.
      this.deps.defer(
        this.deps.vectors
          .deleteEntries([{ kbName, entryId: id, previous }])
          .catch((err: unknown) => console.error("could not delete vectors", kbName, id, err)),
      );
    }
  }

  /** One entry with its embedding's state. */
  async get(kbName: string, id: string): Promise<{ entry: Entry; embedding: EmbeddingView }> {
    const { db } = this.deps;
    const [row, queue, vector] = await Promise.all([
      getEntryRow(db, kbName, id),
      getQueueRow(db, kbName, id),
      getEmbeddingMeta(db, kbName, id),
    ]);
    if (!row) throw notFound(kbName, id);
    const embedding: EmbeddingView = {
      status: queue?.status ?? (vector ? "done" : "missing"),
    };
    if (queue) {
      embedding.attempts = queue.attempts;
      embedding.error = queue.error;
      embedding.queued_at = new Date(queue.queuedAt).toISOString();
    }
    embedding.embedded_at = vector ? new Date(vector.embeddedAt).toISOString() : null;
    embedding.model = vector?.model ?? null;
    embedding.stale = vector ? vector.contentHash !== row.contentHash : false;
    return { entry: toEntry(row), embedding };
  }

  /**
   * A page of a KB's entries: metadata and an excerpt, with bodies only if `bodies`. The page
   * holds at most `limit` entries and about `limits.listBytes` of text; `next_offset` says where
   * the next page starts.
   */
  async list(
    kbName: string,
    page: { limit: number; offset: number; bodies: boolean },
  ): Promise<EntryList> {
    const { limit, offset } = page;
    const { rows, total } = await listEntryRows(this.deps.db, kbName, {
      ...page,
      excerptChars: limits.listExcerptChars,
      maxBytes: limits.listBytes,
    });
    const end = offset + rows.length;
    return {
      entries: rows.map(toListItem),
      total,
      limit,
      offset,
      next_offset: end < total && rows.length > 0 ? end : null,
    };
  }

  /** How embedding follows a write here (see `embedPath`). */
  private path() {
    return embedPath(this.deps.settings, this.deps.notifier);
  }

  /**
   * After a committed write: in `sync` mode embed now (the seed's single-request mode); in every
   * mode tell the worker and subscribers, after the response.
   */
  private async afterWrite(
    write: PlannedWrite,
  ): Promise<{ status: WriteEmbeddingStatus; error?: string }> {
    const { notifier } = this.deps;
    const changed = writeEvent(write);
    if (write.kind === "update" && !write.textChanged) {
      this.deps.defer(notifier.afterWrite([changed], false));
      return { status: "unchanged" };
    }
    const path = this.path();
    if (path !== "sync") {
      this.deps.defer(notifier.afterWrite([changed], path === "background"));
      return { status: path === "background" ? "queued" : "disabled" };
    }
    const result = await this.embedNow(write.row);
    // A failed sync embed stays queued: the worker (if any) retries it with backoff.
    this.deps.defer(notifier.afterWrite([changed, ...result.events], result.error !== undefined));
    return result.error === undefined
      ? { status: "embedded" }
      : { status: "queued_after_error", error: result.error };
  }

  /** Embeds one just-written entry inside the request, through the embedding round code. */
  private async embedNow(row: EntryRow) {
    const { db, settings } = this.deps;
    const { claimed, outcome, events } = await embedNow(
      roundContext(db, this.deps.vectors, this.deps.embedder(), settings, this.now),
      settings.leaseMs,
      { entry: row },
    );
    if (claimed === 0) return { events, error: "the entry changed before it could be embedded" };
    if (outcome.completed.length > 0) return { events };
    return { events, error: outcome.lastError?.error ?? "the entry changed while it was embedded" };
  }
}

function notFound(kbName: string, id: string): ApiError {
  return new ApiError(404, "entry_not_found", `no entry '${id}' in kb '${kbName}'`);
}

function fieldsOf(input: EntryFields): EntryFields {
  return {
    title: input.title,
    body: input.body,
    summary: input.summary,
    entry_type: input.entry_type,
    tags: input.tags,
    importance: input.importance,
    metadata: input.metadata,
  };
}

function merge(current: Entry, patch: PatchEntryInput): EntryFields {
  return {
    title: patch.title ?? current.title,
    body: patch.body ?? current.body,
    summary: patch.summary ?? current.summary,
    entry_type: patch.entry_type ?? current.entry_type,
    tags: patch.tags ?? current.tags,
    importance: patch.importance ?? current.importance,
    metadata: patch.metadata ?? current.metadata,
  };
}
