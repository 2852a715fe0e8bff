/** `GET /health`: liveness plus a D1 round trip; open even when a token is required. */
import { sql } from "drizzle-orm";
import { health } from "../contract/health";
import { openDb } from "../storage/db";
import { createRouter } from "./openapi-kit";

export const healthRoutes = createRouter().openapi(health, async (c) => {
  const started = Date.now();
  await openDb(c.env.DB).get(sql`SELECT 1`);
  return c.json(
    { ok: true as const, embed_mode: c.var.settings.embedMode, db_ms: Date.now() - started },
    200,
  );
});
