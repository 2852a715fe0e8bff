/**
 * The API's response types, inferred from the zod schemas in `schemas/` that also validate the
 * routes' answers and generate `/openapi.json`: one source for the worker (which answers with
 * them), the CLI, the benchmark, the tests and the status page (which read them). Type-only for
 * the Node side: importing these pulls no code into either runtime.
 */
import type { z } from "zod";
import type { bulkWriteResultSchema } from "./schemas/bulk.js";
import type {
  embedResponseSchema,
  embedRoundResultSchema,
  embedStatusSchema,
  failedRowsSchema,
  retryResultSchema,
  workerAnswerSchema,
  workerStatusSchema,
} from "./schemas/embed.js";
import type {
  embeddingViewSchema,
  entryListItemSchema,
  entryListSchema,
  entryReadSchema,
  entrySchema,
  entryWriteResultSchema,
  writeEmbeddingStatusSchema,
} from "./schemas/entry.js";
import type {
  adoptResultSchema,
  dropModelResultSchema,
  migrateResultSchema,
  migrationEstimateSchema,
  migrationStatusSchema,
  modelSetInfoSchema,
  modelSwitchedSchema,
  rollbackResultSchema,
  shadowProgressSchema,
} from "./schemas/migration.js";
import type { degradedSchema, searchResponseSchema, searchResultSchema } from "./schemas/search.js";

export type { ErrorBody } from "./schemas/error.js";

/** An entry. */
export type Entry = z.output<typeof entrySchema>;
/** An entry as `GET /api/entries` lists it: a short excerpt, and the body only if asked for. */
export type EntryListItem = z.output<typeof entryListItemSchema>;
/** `GET /api/entries`. */
export type EntryList = z.output<typeof entryListSchema>;
/** What a write says will happen to the entry's embedding. */
export type WriteEmbeddingStatus = z.output<typeof writeEmbeddingStatusSchema>;
/** `POST /api/entries`, `PUT|PATCH /api/entries/:id`. */
export type EntryWriteResult = z.output<typeof entryWriteResultSchema>;
/** An entry's embedding as a read shows it. */
export type EmbeddingView = z.output<typeof embeddingViewSchema>;
/** `GET /api/entries/:id`. */
export type EntryRead = z.output<typeof entryReadSchema>;

/** `POST /api/entries/batch`. */
export type BulkWriteResult = z.output<typeof bulkWriteResultSchema>;

/** What the EmbedWorker reports about itself. */
export type WorkerStatus = z.output<typeof workerStatusSchema>;
/** `GET /api/index/embed-status`. */
export type EmbedStatus = z.output<typeof embedStatusSchema>;
/** `GET /api/index/embed/failed` (the status page). */
export type FailedRows = z.output<typeof failedRowsSchema>;
/** `POST /api/index/embed/retry-failed` (the status page). */
export type RetryResult = z.output<typeof retryResultSchema>;
/** `POST /api/index/embed`. */
export type EmbedResponse = z.output<typeof embedResponseSchema>;
/** `POST /api/index/embed/pause|resume`. */
export type WorkerAnswer = z.output<typeof workerAnswerSchema>;
/** One synchronous round of `POST /api/index/embed`. */
export type EmbedRoundResult = z.output<typeof embedRoundResultSchema>;

/** One search result. */
export type SearchResult = z.output<typeof searchResultSchema>;
/** Why a search answered with less than it was asked for. */
export type Degraded = z.output<typeof degradedSchema>;
/** `GET /api/search`. */
export type SearchResponse = z.output<typeof searchResponseSchema>;
/** `GET /api/index/migrate`: which model serves, the migration in progress, the kept sets. */
export type MigrationStatus = z.output<typeof migrationStatusSchema>;
/** `POST /api/index/migrate` with `dry_run`. */
export type MigrationEstimate = z.output<typeof migrationEstimateSchema>;
/** `POST /api/index/migrate`. */
export type MigrateResult = z.output<typeof migrateResultSchema>;
/** The switch of the serving model (an event, and the rollback's answer). */
export type ModelSwitched = z.output<typeof modelSwitchedSchema>;
/** `POST /api/index/rollback`. */
export type RollbackResult = z.output<typeof rollbackResultSchema>;
/** `POST /api/index/drop-model`. */
export type DropModelResult = z.output<typeof dropModelResultSchema>;
/** `POST /api/index/adopt-primary`. */
export type AdoptResult = z.output<typeof adoptResultSchema>;
/** One model's vector set, as the migration status lists it. */
export type ModelSetInfo = z.output<typeof modelSetInfoSchema>;
/** A running migration's shadow set. */
export type ShadowProgress = z.output<typeof shadowProgressSchema>;
