/** The contract of `GET /api/search`. */
import { createRoute } from "@hono/zod-openapi";
import { searchQuerySchema } from "../search/query.js";
import { searchResponseSchema } from "../shared/schemas/search.js";
import { errorResponses, jsonResponse } from "./content.js";

export const search = createRoute({
  method: "get",
  path: "/",
  summary: "Search",
  description:
    "Keyword (FTS5, bm25, snippets), semantic (entries ranked by their best passage) or hybrid (reciprocal rank fusion). Hybrid falls back to keywords alone when the embedder fails or misses its deadline, and says so in `degraded`; semantic answers 503.",
  request: { query: searchQuerySchema },
  responses: {
    200: jsonResponse(searchResponseSchema, "The results"),
    ...errorResponses(400, 503),
  },
});
