/** `GET /health`: liveness plus a D1 round trip; open even when a token is required. */
import { createRoute } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { healthSchema } from "../shared/schemas/health";
import { openDb } from "../storage/db";
import { createRouter, jsonResponse } from "./openapi-kit";

const health = createRoute({
  method: "get",
  path: "/",
  summary: "Liveness",
  description: "Liveness and a D1 round trip; open even when a token is set.",
  responses: { 200: jsonResponse(healthSchema, "Up") },
});

export const healthRoutes = createRouter().openapi(health, async (c) => {
  const started = Date.now();
  await openDb(c.env.DB).get(sql`SELECT 1`);
  return c.json(
    { ok: true as const, embed_mode: c.var.settings.embedMode, db_ms: Date.now() - started },
    200,
  );
});
