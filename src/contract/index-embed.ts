/** The contract of `/api/index/*`: the embedding queue's status and controls. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { entryIdSchema, kbNameSchema, queryInt } from "../model/fields.js";
import { limits } from "../model/limits.js";
import {
  embedResponseSchema,
  embedStatusSchema,
  failedRowsSchema,
  retryResultSchema,
  workerAnswerSchema,
} from "../shared/schemas/embed.js";
import { errorResponses, jsonResponse, kbOnlyQuery, noOptions, optionalJson } from "./content.js";

const embedBody = z.strictObject({
  kb: kbNameSchema.optional(),
  force: z.boolean().default(false),
  background: z.boolean().default(false),
  limit: z.number().int().min(1).max(limits.syncEmbedRows).optional(),
});
const retryBody = z
  .strictObject({ kb: kbNameSchema.optional(), id: entryIdSchema.optional() })
  .refine((b) => b.id === undefined || b.kb !== undefined, {
    message: "id needs kb",
    path: ["kb"],
  });
const failedQuery = z.object({
  kb: kbNameSchema.optional(),
  limit: queryInt(1, 500).default(50),
});

export const status = createRoute({
  method: "get",
  path: "/embed-status",
  summary: "The embedding queue's status",
  description:
    "Queue and vector counts that always reconcile (entries = embedded + pending + processing + failed + missing), the worker's state, the model.",
  request: { query: kbOnlyQuery },
  responses: { 200: jsonResponse(embedStatusSchema, "The status"), ...errorResponses(400) },
});

export const embed = createRoute({
  method: "post",
  path: "/embed",
  summary: "Queue what is missing or stale, and embed",
  description:
    "Queues missing or stale vectors (everything with `force`); then kicks the worker and answers at once (`background`), or embeds one bounded round now and says what remains.",
  request: { body: optionalJson(embedBody) },
  responses: {
    200: jsonResponse(embedResponseSchema, "What was queued and embedded"),
    ...errorResponses(400, 409),
  },
});

export const pause = createRoute({
  method: "post",
  path: "/embed/pause",
  summary: "Pause the worker",
  description: "Finishes the round in hand and claims nothing new.",
  request: { body: optionalJson(noOptions) },
  responses: {
    200: jsonResponse(workerAnswerSchema, "The worker, paused"),
    ...errorResponses(400, 409),
  },
});

export const resume = createRoute({
  method: "post",
  path: "/embed/resume",
  summary: "Resume the worker",
  request: { body: optionalJson(noOptions) },
  responses: {
    200: jsonResponse(workerAnswerSchema, "The worker, running"),
    ...errorResponses(400, 409),
  },
});

export const failed = createRoute({
  method: "get",
  path: "/embed/failed",
  summary: "The most recently failed entries",
  request: { query: failedQuery },
  responses: {
    200: jsonResponse(failedRowsSchema, "Failed rows, newest first"),
    ...errorResponses(400),
  },
});

export const retry = createRoute({
  method: "post",
  path: "/embed/retry-failed",
  summary: "Retry failed entries",
  description: "Puts failed rows back to pending: all, one KB's, or one entry's (`id` with `kb`).",
  request: { body: optionalJson(retryBody) },
  responses: {
    200: jsonResponse(retryResultSchema, "How many were requeued"),
    ...errorResponses(400),
  },
});
