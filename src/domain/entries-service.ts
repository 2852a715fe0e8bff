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
import type { EntryList } from "../shared/api-types";
import type { EntryChangedMessage } from "../shared/messages";
import { type Db, isUniqueViolation, runAtomic } from "../storage/db";
import { deleteVectorIfNoEntry, getEmbeddingMeta } from "../storage/embeddings";
import {
  deleteEntryRow,
  getEntryRow,
  insertEntry,
  listEntryRows,
  updateEntryIfVersion,
} from "../storage/entries";
import { dequeueIfNoEntry, dequeueIfStale, enqueue, getQueueRow } from "../storage/queue";
import type { EntryRow } from "../storage/schema";
import { passageSetOf, readPassageSet } from "../storage/vector-reads";
import type { VectorStore } from "../vectors/vector-store";
import { contentHash } from "./content";
import type { EmbedNotifier } from "./embed-notifier";
import { type Entry, toEntry, toListItem, toRowFields } from "./entry";
import { entryChanged } from "./entry-events";
import type { CreateEntryInput, EntryFields, PatchEntryInput } from "./entry-input";
import { checkIfMatch, type IfMatch, preconditionFailed } from "./etag";
import { slugify } from "./slug";

/** What a write says will happen to the entry's embedding. */
export type WriteEmbeddingStatus =
  | "queued"
  | "unchanged"
  | "embedded"
  | "queued_after_error"
  | "disabled";

/** An entry's embedding as a read shows it. */
export interface EmbeddingView {
  status: "pending" | "processing" | "done" | "failed" | "missing";
  attempts?: number;
  error?: string | null;
  queued_at?: string;
  embedded_at?: string | null;
  model?: string | null;
  /** True when the stored vector is not of the current text. */
  stale?: boolean;
}

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

/**
 * Rounds of read, plan and guarded write an update gets. Each lost round means another write
 * committed, so this only runs out under sustained contention on one entry (then 409).
 */
const MAX_WRITE_RETRIES = 10;

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
    const now = this.now();
    const stamp = new Date(now).toISOString();
    const fields = fieldsOf(input);
    const row: EntryRow = {
      ...toRowFields(fields),
      kbName: input.kb,
      id,
      createdAt: stamp,
      updatedAt: stamp,
      contentHash: await contentHash(fields),
      version: 1,
    };
    const { db } = this.deps;
    const queueing = this.deps.settings.embedMode !== "off";
    try {
      if (queueing) {
        await runAtomic(db, [
          insertEntry(db, row),
          enqueue(row.kbName, row.id, row.contentHash, now),
        ]);
      } else {
        await insertEntry(db, row);
      }
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ApiError(409, "entry_exists", `entry '${id}' already exists in kb '${input.kb}'`);
      }
      throw err;
    }
    const embedding = await this.afterWrite(row, "entry_created", queueing);
    return { entry: toEntry(row), embedding };
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
    for (let attempt = 0; attempt < MAX_WRITE_RETRIES; attempt++) {
      const current = await getEntryRow(db, kbName, id);
      if (!current) throw notFound(kbName, id);
      checkIfMatch(ifMatch, current);
      const fields =
        mode === "replace" ? fieldsOf(change as EntryFields) : merge(toEntry(current), change);
      const now = this.now();
      const next: EntryRow = {
        ...current,
        ...toRowFields(fields),
        updatedAt: new Date(now).toISOString(),
        contentHash: await contentHash(fields),
        version: current.version + 1,
      };
      const textChanged = next.contentHash !== current.contentHash;
      const queueing = textChanged && this.deps.settings.embedMode !== "off";
      const update = updateEntryIfVersion(db, next, current);
      // Both follow-ups are conditioned on the text the entry holds after the batch, so they
      // stay right even when the guarded update lost a race (then they do nothing stale).
      const followUp = !textChanged
        ? []
        : queueing
          ? [enqueue(kbName, id, next.contentHash, now)]
          : [dequeueIfStale(kbName, id)];
      const [updated] = await runAtomic(db, [update, ...followUp]);
      // The guard failed: the entry changed since we read it (or was deleted). Read again and
      // redo on the latest row (or answer 404 / 412).
      if ((updated?.results.length ?? 0) === 0) continue;
      if (!textChanged) {
        this.deps.defer(
          this.deps.notifier.afterWrite([entryChanged("entry_updated", next)], false),
        );
        return { entry: toEntry(next), embedding: { status: "unchanged" } };
      }
      const embedding = await this.afterWrite(next, "entry_updated", queueing);
      return { entry: toEntry(next), embedding };
    }
    throw new ApiError(409, "write_conflict", `entry '${id}' kept changing; try again`);
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
    // The set read first, in the same batch, is the one the delete removes: the vector store is
    // told which passages to drop.
    const [set, deleted] = await runAtomic(db, [
      readPassageSet(kbName, id),
      deleteEntryRow(db, kbName, id, read),
      dequeueIfNoEntry(kbName, id),
      deleteVectorIfNoEntry(kbName, id),
    ]);
    if ((deleted?.results.length ?? 0) === 0) {
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
    const previous = passageSetOf(set?.results);
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

  /**
   * After a committed write: in `sync` mode embed now (the seed's single-request mode); in every
   * mode tell the worker and subscribers, after the response.
   */
  private async afterWrite(
    row: EntryRow,
    type: "entry_created" | "entry_updated",
    queued: boolean,
  ): Promise<{ status: WriteEmbeddingStatus; error?: string }> {
    const { settings, notifier } = this.deps;
    const changed = entryChanged(type, row);
    if (!queued) {
      this.deps.defer(notifier.afterWrite([changed], false));
      return { status: "disabled" };
    }
    if (settings.embedMode === "background" && notifier.present) {
      this.deps.defer(notifier.afterWrite([changed], true));
      return { status: "queued" };
    }
    const result = await this.embedNow(row);
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
