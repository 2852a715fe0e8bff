/** `GET /health`: liveness plus a D1 round trip; open even when a token is required. */
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { openDb } from "../storage/db";

export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const started = Date.now();
  await openDb(c.env.DB).get(sql`SELECT 1`);
  return c.json({
    ok: true,
    embed_mode: c.var.settings.embedMode,
    db_ms: Date.now() - started,
  });
});
