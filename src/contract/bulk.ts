/** The contract of `POST /api/entries/batch`. */
import { createRoute } from "@hono/zod-openapi";
import { batchRequestSchema } from "../domain/bulk-input.js";
import { bulkWriteResultSchema } from "../shared/schemas/bulk.js";
import { errorResponses, json, jsonResponse } from "./content.js";

export const bulk = createRoute({
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
