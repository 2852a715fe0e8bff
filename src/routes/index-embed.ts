/** `/api/index/*`: the embedding queue's status and controls. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { entryIdSchema, kbNameSchema, queryInt } from "../model/fields";
import { limits } from "../model/limits";
import {
  embedResponseSchema,
  embedStatusSchema,
  failedRowsSchema,
  retryResultSchema,
  workerAnswerSchema,
} from "../shared/schemas/embed";
import {
  bodyHook,
  createRouter,
  errorResponses,
  json,
  jsonResponse,
  optionalBody,
} from "./openapi-kit";

const kbOnlyQuery = z.object({ kb: kbNameSchema.optional() });
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
/** Pause and resume take no options; a body, if any, must be an empty object. */
const noOptions = z.strictObject({});

/** An optional JSON body of `schema` (none at all means `{}`). */
function optionalJson<T extends z.ZodType>(schema: T) {
  return { ...json(schema), required: false as const };
}

const status = createRoute({
  method: "get",
  path: "/embed-status",
  summary: "The embedding queue's status",
  description:
    "Queue and vector counts that always reconcile (entries = embedded + pending + processing + failed + missing), the worker's state, the model.",
  request: { query: kbOnlyQuery },
  responses: { 200: jsonResponse(embedStatusSchema, "The status"), ...errorResponses(400) },
});

const embed = createRoute({
  method: "post",
  path: "/embed",
  summary: "Queue what is missing or stale, and embed",
  description:
    "Queues missing or stale vectors (everything with `force`); then kicks the worker and answers at once (`background`), or embeds one bounded round now and says what remains.",
  middleware: optionalBody,
  request: { body: optionalJson(embedBody) },
  responses: {
    200: jsonResponse(embedResponseSchema, "What was queued and embedded"),
    ...errorResponses(400, 409),
  },
});

const pause = createRoute({
  method: "post",
  path: "/embed/pause",
  summary: "Pause the worker",
  description: "Finishes the round in hand and claims nothing new.",
  middleware: optionalBody,
  request: { body: optionalJson(noOptions) },
  responses: {
    200: jsonResponse(workerAnswerSchema, "The worker, paused"),
    ...errorResponses(400, 409),
  },
});

const resume = createRoute({
  method: "post",
  path: "/embed/resume",
  summary: "Resume the worker",
  middleware: optionalBody,
  request: { body: optionalJson(noOptions) },
  responses: {
    200: jsonResponse(workerAnswerSchema, "The worker, running"),
    ...errorResponses(400, 409),
  },
});

const failed = createRoute({
  method: "get",
  path: "/embed/failed",
  summary: "The most recently failed entries",
  request: { query: failedQuery },
  responses: {
    200: jsonResponse(failedRowsSchema, "Failed rows, newest first"),
    ...errorResponses(400),
  },
});

const retry = createRoute({
  method: "post",
  path: "/embed/retry-failed",
  summary: "Retry failed entries",
  description: "Puts failed rows back to pending: all, one KB's, or one entry's (`id` with `kb`).",
  middleware: optionalBody,
  request: { body: optionalJson(retryBody) },
  responses: {
    200: jsonResponse(retryResultSchema, "How many were requeued"),
    ...errorResponses(400),
  },
});

export const indexRoutes = createRouter()
  .openapi(status, async (c) => c.json(await c.var.index.status(c.req.valid("query").kb), 200))
  .openapi(embed, async (c) => c.json(await c.var.index.embed(c.req.valid("json")), 200), bodyHook)
  .openapi(pause, async (c) => c.json({ worker: await c.var.index.pause() }, 200), bodyHook)
  .openapi(resume, async (c) => c.json({ worker: await c.var.index.resume() }, 200), bodyHook)
  .openapi(failed, async (c) => {
    const { kb, limit } = c.req.valid("query");
    return c.json(await c.var.index.failed(kb, limit), 200);
  })
  .openapi(
    retry,
    async (c) => {
      const body = c.req.valid("json");
      return c.json(await c.var.index.retryFailed(body.kb, body.id), 200);
    },
    bodyHook,
  );
