/** `POST /api/entries/batch`: many entries in one all-or-nothing request. */
import { createRoute } from "@hono/zod-openapi";
import { batchRequestSchema } from "../domain/bulk-input";
import { bulkWriteResultSchema } from "../shared/schemas/bulk";
import { bodyHook, createRouter, errorResponses, json, jsonResponse } from "./openapi-kit";

const bulk = createRoute({
  method: "post",
  path: "/",
  summary: "Write many entries, all or nothing",
  description:
    "Every item is validated and every existing row read before anything is written. `mode: create` refuses ids that exist (409 `entries_exist`); `upsert` (the default) updates them. Entries whose embedded text is unchanged are not re-queued.",
  request: { body: { ...json(batchRequestSchema), required: true } },
  responses: {
    200: jsonResponse(bulkWriteResultSchema, "What the batch did"),
    ...errorResponses(400, 409, 413),
  },
});

export const bulkRoutes = createRouter().openapi(
  bulk,
  // The envelope is checked here; the service checks each item on its own, so that its 400
  // (`invalid_entries`) names every invalid item with all of its reasons.
  async (c) => c.json(await c.var.batch.write(c.req.valid("json")), 200),
  bodyHook,
);
