/** The contract of the index's models under `/api/index`: migrate (or estimate), roll back, drop. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { kbNameSchema } from "../model/fields.js";
import {
  adoptResultSchema,
  dropModelResultSchema,
  migrateResultSchema,
  migrationEstimateSchema,
  migrationStatusSchema,
  rollbackResultSchema,
} from "../shared/schemas/migration.js";
import {
  errorResponses,
  json,
  jsonResponse,
  kbOnlyQuery,
  noOptions,
  optionalJson,
} from "./content.js";

/** What `PYRITE_MODEL` takes, or a provider name (`hash`, `bundled`). */
const modelName = z.string().trim().min(1).max(1000);
const migrateBody = z.strictObject({
  model: modelName,
  switch_at: z
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .meta({ description: "Shadow coverage (0–1] at which to switch; 1 (all) by default" }),
  dry_run: z.boolean().default(false),
  kb: kbNameSchema.optional().meta({ description: "Dry run only: estimate one KB" }),
});
const dropBody = z.strictObject({ model: modelName });

export const migration = createRoute({
  method: "get",
  path: "/migrate",
  summary: "Which model serves search, and the migration in progress",
  request: { query: kbOnlyQuery },
  responses: { 200: jsonResponse(migrationStatusSchema, "The status"), ...errorResponses(400) },
});

export const migrate = createRoute({
  method: "post",
  path: "/migrate",
  summary: "Start a shadow migration to another model (or estimate one)",
  description:
    "Embeds every entry with `model` into its own vector set while search keeps serving the current one; switches atomically at `switch_at` coverage. With `dry_run`, answers what it would embed and how long it would take, measured on a sample of the KB's own text.",
  request: { body: json(migrateBody) },
  responses: {
    200: jsonResponse(
      z.union([migrateResultSchema, z.object({ estimate: migrationEstimateSchema })]),
      "The migration started (or its estimate)",
    ),
    ...errorResponses(400, 409, 503),
  },
});

export const rollback = createRoute({
  method: "post",
  path: "/rollback",
  summary: "Switch back to the previous model at once",
  request: { body: optionalJson(noOptions) },
  responses: {
    200: jsonResponse(rollbackResultSchema, "The switch, and the entries re-queued for it"),
    ...errorResponses(400, 409),
  },
});

export const dropModel = createRoute({
  method: "post",
  path: "/drop-model",
  summary: "Free a kept model's vector set",
  request: { body: json(dropBody) },
  responses: {
    200: jsonResponse(dropModelResultSchema, "The sets freed"),
    ...errorResponses(400, 404, 409),
  },
});

export const adoptPrimary = createRoute({
  method: "post",
  path: "/adopt-primary",
  summary: "Reconcile the index with the model this server started with",
  description:
    "Recorded as serving on a fresh index; otherwise a migration to it begins, while the serving model keeps serving if it can still be loaded here.",
  request: { body: optionalJson(noOptions) },
  responses: {
    200: jsonResponse(adoptResultSchema, "What was done"),
    ...errorResponses(400, 409),
  },
});
