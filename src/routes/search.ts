/** `GET /api/search`: keyword, semantic or hybrid. */
import { createRoute } from "@hono/zod-openapi";
import { searchQuerySchema } from "../search/query";
import { searchResponseSchema } from "../shared/schemas/search";
import { createRouter, errorResponses, jsonResponse } from "./openapi-kit";

const search = createRoute({
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

export const searchRoutes = createRouter().openapi(search, async (c) =>
  c.json(await c.var.search.search(c.req.valid("query")), 200),
);
