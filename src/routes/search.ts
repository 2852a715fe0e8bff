/** `GET /api/search`: keyword, semantic or hybrid. */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { validate } from "../middleware/validate";
import { searchQuerySchema } from "../search/query";

export const searchRoutes = new Hono<AppEnv>().get(
  "/",
  validate("query", searchQuerySchema),
  async (c) => c.json(await c.var.search.search(c.req.valid("query"))),
);
