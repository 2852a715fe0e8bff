/** Shapes of the index's models: the migration status, its estimate, switches and rollbacks. */
import { z } from "zod";

/** Covered entries of all entries. */
const coverageSchema = z.object({
  embedded: z.number().int(),
  entries: z.number().int(),
  ratio: z.number(),
});

/** One model's vector set, as the migration status lists it. */
export const modelSetInfoSchema = z
  .object({
    model: z.string().meta({ description: "Fingerprint key" }),
    role: z.enum(["serving", "target", "kept"]),
    sets: z
      .number()
      .int()
      .meta({ description: "Entries with a committed set of this model (current or not)" }),
    passages: z.number().int(),
    since: z
      .string()
      .meta({ description: "When it took its role (a target: when its migration began)" }),
    retired_at: z
      .string()
      .nullable()
      .meta({ description: "When it last stopped serving (null if it never served)" }),
  })
  .meta({ id: "ModelSetInfo" });

/** A running migration's shadow set. */
export const shadowProgressSchema = z
  .object({
    entries: z.number().int().meta({ description: "Entries (of the KB asked about, or all)" }),
    covered: z
      .number()
      .int()
      .meta({ description: "Entries the target covers: a current set of it" }),
    ratio: z.number(),
    pending: z.number().int(),
    processing: z.number().int(),
    failed: z.number().int(),
    entries_last_minute: z
      .number()
      .int()
      .meta({ description: "Sets of the target committed in the last minute" }),
    eta_seconds: z.number().nullable().meta({
      description:
        "Seconds to full coverage at that rate; null when nothing was committed in the last minute",
    }),
  })
  .meta({ id: "ShadowProgress" });

/** `GET /api/index/migrate`: which model serves, the migration in progress, the kept sets. */
export const migrationStatusSchema = z
  .object({
    kb: z.string().nullable(),
    serving: z.string().nullable(),
    serving_available: z.boolean().meta({
      description: "False when the serving model cannot be loaded here (search then says so)",
    }),
    serving_error: z.string().nullable(),
    target: z.string().nullable(),
    switch_at: z
      .number()
      .nullable()
      .meta({ description: "The shadow coverage at which the switch happens" }),
    shadow: shadowProgressSchema.nullable(),
    models: z.array(modelSetInfoSchema),
  })
  .meta({ id: "MigrationStatus" });

/** `POST /api/index/migrate` with `dry_run`: what a migration would embed, and for how long. */
export const migrationEstimateSchema = z
  .object({
    model: z.string(),
    entries: z.number().int(),
    passages: z.number().int(),
    tokens: z.number().int(),
    seconds: z.number(),
    sample: z
      .object({
        entries: z.number().int(),
        passages: z.number().int(),
        seconds: z.number(),
        passages_per_second: z.number(),
      })
      .meta({
        description: "What the estimate was measured on: a sample of the KB's own entries",
      }),
  })
  .meta({ id: "MigrationEstimate" });

/** `POST /api/index/migrate` (without `dry_run`). */
export const migrateResultSchema = z
  .object({
    started: z.boolean().meta({
      description: "False when the model was already the target (its `switch_at` is updated)",
    }),
    queued: z.number().int().meta({ description: "Entries queued for the target" }),
    migration: migrationStatusSchema,
  })
  .meta({ id: "MigrateResult" });

/** The event (and rollback answer) of a switch of the serving model. */
export const modelSwitchedSchema = z
  .object({
    type: z.literal("model_switched"),
    model: z.string(),
    previous: z.string().nullable(),
    reason: z.enum(["migration", "rollback"]),
    coverage: coverageSchema.meta({
      description: "Entries `model` covered at the switch, of all entries (the rest are queued)",
    }),
    at: z.string(),
  })
  .meta({ id: "ModelSwitched" });

/** `POST /api/index/rollback`. */
export const rollbackResultSchema = z
  .object({ switched: modelSwitchedSchema, requeued: z.number().int() })
  .meta({ id: "RollbackResult" });

/** `POST /api/index/drop-model`. */
export const dropModelResultSchema = z
  .object({ dropped: z.string(), sets: z.number().int() })
  .meta({ id: "DropModelResult" });

/** `POST /api/index/adopt-primary`: what start-up did with the model the server started with. */
export const adoptResultSchema = z
  .object({
    action: z.enum(["registered", "unchanged", "migrating"]),
    model: z.string(),
    serving: z.string(),
    serving_available: z.boolean(),
    message: z.string(),
  })
  .meta({ id: "AdoptResult" });
