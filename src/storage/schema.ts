/**
 * The D1 schema. drizzle-kit generates the migrations in `migrations/` from this file; the FTS5
 * table and its triggers, which drizzle cannot express, live in a hand-written migration.
 */
import { blob, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Knowledge-base entries, keyed by KB and id as in pyrite. */
export const entries = sqliteTable(
  "entries",
  {
    kbName: text("kb_name").notNull(),
    id: text("id").notNull(),
    entryType: text("entry_type").notNull().default("note"),
    title: text("title").notNull(),
    body: text("body").notNull().default(""),
    summary: text("summary").notNull().default(""),
    /** JSON array of strings. */
    tags: text("tags").notNull().default("[]"),
    importance: integer("importance").notNull().default(5),
    /** JSON object: every field pyrite keeps that has no column of its own. */
    metadata: text("metadata").notNull().default("{}"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    /** SHA-256 of the embedded text (title, summary, body): what a vector must match. */
    contentHash: text("content_hash").notNull(),
    /**
     * 1 at creation, +1 on every update: every update is guarded by the version it read, so a
     * concurrent change is never silently overwritten (see `updateEntryIfVersion`).
     */
    version: integer("version").notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.kbName, t.id] })],
);

/** The embedding work list: one row per entry (coalescing), kept until the entry is deleted. */
export const embedQueue = sqliteTable(
  "embed_queue",
  {
    kbName: text("kb_name").notNull(),
    entryId: text("entry_id").notNull(),
    /** Epoch ms when the current version was enqueued. */
    queuedAt: integer("queued_at").notNull(),
    status: text("status", { enum: ["pending", "processing", "done", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    /** Epoch ms from which a pending row may be claimed (backoff). */
    nextAttemptAt: integer("next_attempt_at").notNull(),
    /** Epoch ms until which a processing row belongs to its claimer; also the claim's token. */
    leaseUntil: integer("lease_until"),
    contentHash: text("content_hash").notNull(),
    /** Fingerprint of the model whose vector made the row `done`; null until then. */
    model: text("model"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.kbName, t.entryId] }),
    // "What is due next" for pending rows and "whose lease expired" for processing rows are both
    // range scans on this index.
    index("embed_queue_due").on(t.status, t.nextAttemptAt),
    index("embed_queue_lease").on(t.status, t.leaseUntil),
    // The status's "oldest pending" is a seek to the first entry of these (counts come from
    // `status_counts`, kept by triggers).
    index("embed_queue_status_queued").on(t.status, t.queuedAt),
    index("embed_queue_kb_status_queued").on(t.kbName, t.status, t.queuedAt),
  ],
);

/** One vector per entry, with what it was computed from. */
export const entryEmbeddings = sqliteTable(
  "entry_embeddings",
  {
    kbName: text("kb_name").notNull(),
    entryId: text("entry_id").notNull(),
    /** Model fingerprint key (see `fingerprintKey`). */
    model: text("model").notNull(),
    dims: integer("dims").notNull(),
    contentHash: text("content_hash").notNull(),
    /** float32 little-endian. */
    vector: blob("vector", { mode: "buffer" }).notNull(),
    embeddedAt: integer("embedded_at").notNull(),
    /** 1 when the embedded text exceeded the model's token window. */
    truncated: integer("truncated").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.kbName, t.entryId] }),
    // Search's in-memory index catches up on "vectors of this model embedded since T" with a
    // range seek here; without it every semantic query read every vector row (≈57 ms at 100k).
    index("entry_embeddings_model_time").on(t.model, t.embeddedAt),
  ],
);

/**
 * Running counts behind the status endpoint, one row per (KB, metric, model), kept exact by
 * triggers on `entries`, `embed_queue` and `entry_embeddings` (migration 0004) in the same
 * transaction as every write, so the status never scans 100k rows to count them. Metrics:
 * `entries`; `queue:<status>` by the row's model ('' until done); `vectors` by model, with how
 * many were truncated.
 */
export const statusCounts = sqliteTable(
  "status_counts",
  {
    kbName: text("kb_name").notNull(),
    metric: text("metric").notNull(),
    model: text("model").notNull(),
    n: integer("n").notNull().default(0),
    truncated: integer("truncated").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.kbName, t.metric, t.model] })],
);

export type EntryRow = typeof entries.$inferSelect;
export type QueueRow = typeof embedQueue.$inferSelect;
export type EmbeddingRow = typeof entryEmbeddings.$inferSelect;
export type QueueStatus = QueueRow["status"];
