/** `POST /api/entries/batch`: many entries in one all-or-nothing request. */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";

export const batchRoutes = new Hono<AppEnv>().post("/", async (c) => {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch (err) {
    // The body limit's 413 surfaces here while the body is read; let it through.
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, "malformed_json", "request body is not valid JSON");
  }
  return c.json(await c.var.batch.write(body));
});
