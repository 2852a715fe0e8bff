/** The response shape of `GET /health`. */
import { z } from "zod";

/** Liveness plus a D1 round trip. */
export const healthSchema = z
  .object({ ok: z.literal(true), embed_mode: z.string(), db_ms: z.number() })
  .meta({ id: "Health" });
