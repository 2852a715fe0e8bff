/**
 * The D1 schema. drizzle-kit generates the migrations in `migrations/` from this file; the FTS5
 * table and its triggers, which drizzle cannot express, live in a hand-written migration.
 */
import { sql } from "drizzle-orm";
import {
  blob,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

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

/**
 * One row per entry and model whose passage set is committed: what the set was computed from (the
 * entry's content hash), when, and how many passages it has. An entry has a set per model: the
 * serving model's, a migration target's being filled in, and older ones kept for rollback. The vectors themselves are in
 * `passage_vectors`, the passages in `entry_passages`.
 */
export const entryEmbeddings = sqliteTable(
  "entry_embeddings",
  {
    kbName: text("kb_name").notNull(),
    entryId: text("entry_id").notNull(),
    /** Model fingerprint key (see `fingerprintKey`). */
    model: text("model").notNull(),
    dims: integer("dims").notNull(),
    contentHash: text("content_hash").notNull(),
    embeddedAt: integer("embedded_at").notNull(),
    /** 1 when some passage's text exceeded the model's token window. */
    truncated: integer("truncated").notNull().default(0),
    /** Passages in the committed set. */
    passages: integer("passages").notNull().default(1),
  },
  (t) => [
    primaryKey({ columns: [t.kbName, t.entryId, t.model] }),
    index("entry_embeddings_model_time").on(t.model, t.embeddedAt),
  ],
);

/**
 * Passage vectors, content-addressed within their entry: `hash` covers the model, the passage's
 * context and its text. Vectors are written here as soon as they are embedded (a huge entry over
 * several batches, surviving a crash), and become searchable only once `entry_passages` points at
 * them; the commit of a set deletes the entry's vectors it no longer uses.
 */
export const passageVectors = sqliteTable(
  "passage_vectors",
  {
    kbName: text("kb_name").notNull(),
    entryId: text("entry_id").notNull(),
    model: text("model").notNull(),
    hash: text("hash").notNull(),
    dims: integer("dims").notNull(),
    /** float32 little-endian. */
    vector: blob("vector", { mode: "buffer" }).notNull(),
    /** 1 when the passage's text exceeded the model's token window. */
    truncated: integer("truncated").notNull().default(0),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.kbName, t.entryId, t.model, t.hash] })],
);

/**
 * The committed passage set of each entry, per model: where each passage is, and which vector it
 * has.
 */
export const entryPassages = sqliteTable(
  "entry_passages",
  {
    kbName: text("kb_name").notNull(),
    entryId: text("entry_id").notNull(),
    seq: integer("seq").notNull(),
    model: text("model").notNull(),
    hash: text("hash").notNull(),
    /** JSON array of the headings the passage sits under, outermost first. */
    headingPath: text("heading_path").notNull().default("[]"),
    /** Character span of the passage in the entry's body. */
    start: integer("start").notNull(),
    end: integer("end").notNull(),
    /** When the set was committed (the same for every passage of a set). */
    embeddedAt: integer("embedded_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.kbName, t.entryId, t.model, t.seq] }),
    // Search's in-memory index catches up on "passages of this model committed since T" with a
    // range seek here.
    index("entry_passages_model_time").on(t.model, t.embeddedAt),
  ],
);

/**
 * Passage sets that stopped being searchable under a model (their entry deleted, or re-embedded
 * with another model), written by triggers on `entry_embeddings`. The in-memory vector index
 * reads these since its last sync to drop those vectors at once, instead of keeping them until a
 * full reload. Only the latest rows are kept; an index that fell further behind reloads fully.
 */
export const vectorDeletes = sqliteTable("vector_deletes", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  kbName: text("kb_name").notNull(),
  entryId: text("entry_id").notNull(),
  model: text("model").notNull(),
  /** `embedded_at` of the set that went away: a newer set of the entry is not affected. */
  embeddedAt: integer("embedded_at").notNull(),
});

/**
 * Running counts behind the status endpoint, one row per (KB, metric, model), kept exact by
 * triggers on `entries`, `embed_queue` and `entry_embeddings` (migration 0004) in the same
 * transaction as every write, so the status never scans 100k rows to count them. Metrics:
 * `entries`; `queue:<status>` by the row's model ('' until done); `vectors` (entries with a
 * committed passage set) by model, with how many were truncated; `passages` by model (migration
 * 0006).
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

/**
 * The models the index knows (migration 0007): the one that SERVES search (at most one), the
 * migration TARGET being filled in (at most one), and KEPT sets for rollback. Vector counts per
 * model are in `status_counts`.
 */
export const indexModels = sqliteTable(
  "index_models",
  {
    /** Model fingerprint key (see `fingerprintKey`). */
    model: text("model").primaryKey(),
    role: text("role", { enum: ["serving", "target", "kept"] }).notNull(),
    /** Target only: the shadow coverage (0–1] at which the switch happens. */
    switchAt: real("switch_at").notNull().default(1),
    /** When the row took its role (a target: when its migration began). */
    since: integer("since").notNull(),
    /** When it last stopped serving (null if it never served): the newest is rolled back to. */
    retiredAt: integer("retired_at"),
  },
  (t) => [uniqueIndex("index_models_one_per_role").on(t.role).where(sql`role <> 'kept'`)],
);

/**
 * The shadow queue of a migration: one row per (entry, target model) still to embed with the
 * target, beside the serving model's `embed_queue` (left as it is). A row is deleted once its set
 * is committed; fresh writes re-queue it (a trigger on `embed_queue`), so the target never falls
 * behind. Same lease and retry rules as `embed_queue`.
 */
export const shadowQueue = sqliteTable(
  "shadow_queue",
  {
    kbName: text("kb_name").notNull(),
    entryId: text("entry_id").notNull(),
    model: text("model").notNull(),
    queuedAt: integer("queued_at").notNull(),
    status: text("status", { enum: ["pending", "processing", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    leaseUntil: integer("lease_until"),
    contentHash: text("content_hash").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.kbName, t.entryId, t.model] }),
    // Fresh writes (latest `queued_at`) first, then the backfill.
    index("shadow_queue_due").on(t.model, t.status, t.queuedAt),
    index("shadow_queue_lease").on(t.model, t.status, t.leaseUntil),
  ],
);

export type EntryRow = typeof entries.$inferSelect;
export type QueueRow = typeof embedQueue.$inferSelect;
export type EmbeddingRow = typeof entryEmbeddings.$inferSelect;
export type EntryPassageRow = typeof entryPassages.$inferSelect;
export type QueueStatus = QueueRow["status"];
export type IndexModelRow = typeof indexModels.$inferSelect;
