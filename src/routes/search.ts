/** `GET /api/search`: keyword, semantic or hybrid. */
import { search } from "../contract/search";
import { createRouter } from "./openapi-kit";

export const searchRoutes = createRouter().openapi(search, async (c) =>
  c.json(await c.var.search.search(c.req.valid("query")), 200),
);
