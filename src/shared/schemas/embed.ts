/** Response shapes of `/api/index/*`: the worker, the queue's status, an embed round, failures. */
import { z } from "zod";
import { migrationStatusSchema } from "./migration.js";

/** The latest terminal failure the worker saw. */
const lastErrorSchema = z
  .object({ kb_name: z.string(), entry_id: z.string(), error: z.string(), at: z.string() })
  .nullable()
  .meta({ id: "LastError" });

/** What one EmbedWorker reports about itself (the Durable Object, pause and resume). */
const oneWorkerSchema = z.object({
  state: z.enum(["running", "idle", "paused"]),
  last_run_at: z.string().nullable(),
  next_alarm_at: z.string().nullable(),
  batch_size: z.number().int(),
  max_attempts: z.number().int(),
  embedded_last_minute: z.number().int(),
  passages_last_minute: z
    .number()
    .int()
    .meta({ description: "Passages embedded in the last minute (the embedder's throughput)" }),
  last_error: lastErrorSchema,
  concurrency: z
    .number()
    .int()
    .optional()
    .meta({ description: "Embed rounds the worker keeps in flight at most (`EMBED_CONCURRENCY`)" }),
  in_flight: z.number().int().optional().meta({ description: "Rounds in flight now" }),
  shard: z.object({ index: z.number().int(), count: z.number().int() }).optional().meta({
    description: "Which shard this worker is (`EMBED_SHARDS`): the KBs that hash to `index`",
  }),
});

/** The EmbedWorker (or, with several shards, their sum and each shard's own). */
export const workerStatusSchema = oneWorkerSchema
  .extend({
    shards: z.array(oneWorkerSchema).optional().meta({
      description:
        "With several shards, the status above aggregates them (counts summed, `running` if any runs, `paused` only if all are) and each shard's own is here",
    }),
  })
  .meta({ id: "WorkerStatus" });

/** `POST /api/index/embed/pause|resume`. */
export const workerAnswerSchema = z
  .object({ worker: workerStatusSchema })
  .meta({ id: "WorkerAnswer" });

/**
 * `GET /api/index/embed-status`. Always reconciles: entries = embedded + pending + processing +
 * failed + missing.
 */
export const embedStatusSchema = z
  .object({
    kb: z.string().nullable(),
    entries: z.number().int(),
    embedded: z
      .number()
      .int()
      .meta({ description: "Entries whose vector is of the active model and their current text" }),
    pending: z.number().int(),
    processing: z.number().int(),
    done: z.number().int(),
    failed: z.number().int(),
    missing: z.number().int().meta({
      description:
        "Entries with no queue row and no current vector (only where EMBED_MODE=off wrote them)",
    }),
    stale: z.number().int().meta({ description: "Vectors of another model or of an older text" }),
    passages: z
      .number()
      .int()
      .meta({ description: "Passages (with their vectors) searchable under the active model" }),
    truncated: z
      .number()
      .int()
      .meta({ description: "Entries with a passage cut at the model's window" }),
    oldest_pending_age_ms: z.number().nullable(),
    expired_leases: z.number().int(),
    last_error: lastErrorSchema,
    worker: z.union([
      workerStatusSchema.omit({
        last_error: true,
        embedded_last_minute: true,
        passages_last_minute: true,
      }),
      z.object({ state: z.literal("absent") }),
    ]),
    throughput_last_minute: z
      .number()
      .int()
      .nullable()
      .meta({ description: "Entries embedded in the last minute" }),
    passages_last_minute: z
      .number()
      .int()
      .nullable()
      .meta({ description: "Passages embedded in the last minute: the embedder's own throughput" }),
    model: z.string().nullable(),
    provider: z.string().nullable(),
    semantic: z.boolean(),
    embed_mode: z.string(),
    migration: migrationStatusSchema.meta({
      description: "The serving model, a migration in progress and the kept sets",
    }),
    vector_store: z
      .object({
        store: z.enum(["isolate", "vectorize"]),
        embedded: z.number().int(),
        searchable: z.number().int(),
        pending: z.boolean(),
        pending_mutation: z.string().nullable(),
      })
      .nullable()
      .optional()
      .meta({
        description:
          "Where passage vectors are searched: passages committed in D1 (`embedded`) against those " +
          "the store answers from (`searchable`); `pending` while it catches up (Vectorize applies " +
          "mutations asynchronously). Null when the embedder or the store is unavailable. Totals, " +
          "not per KB.",
      }),
  })
  .meta({ id: "EmbedStatus" });

/** One synchronous round of `POST /api/index/embed`. */
export const embedRoundResultSchema = z
  .object({
    paused: z.boolean(),
    claimed: z.number().int(),
    embedded: z.number().int(),
    failed: z.number().int(),
    retrying: z.number().int(),
  })
  .meta({ id: "EmbedRoundResult" });

/** `POST /api/index/embed`: what was queued, the round run now (sync), and the status after. */
export const embedResponseSchema = z
  .object({
    mode: z.enum(["sync", "background"]),
    queued: z.number().int(),
    batch: embedRoundResultSchema.optional().meta({ description: "Sync mode: the round run now" }),
    status: embedStatusSchema,
  })
  .meta({ id: "EmbedResponse" });

/** `GET /api/index/embed/failed`: the most recently failed rows, newest first. */
export const failedRowsSchema = z
  .object({
    failed: z.array(
      z.object({
        kb_name: z.string(),
        entry_id: z.string(),
        error: z.string().nullable(),
        attempts: z.number().int(),
        updated_at: z.string().meta({ description: "ISO 8601: when the row failed" }),
      }),
    ),
  })
  .meta({ id: "FailedRows" });

/** `POST /api/index/embed/retry-failed`. */
export const retryResultSchema = z
  .object({ requeued: z.number().int() })
  .meta({ id: "RetryResult" });
