/**
 * `GET /ws[?kb=]`: hands the WebSocket upgrade to the EmbedWorker, which owns every socket. A
 * handshake from a foreign page never gets here: the app refuses its Host or Origin first
 * (src/middleware/host.ts, origin.ts).
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env";
import { embedWorkerStub } from "../embed-worker/embed-worker";
import { ApiError } from "../errors";
import { validate } from "../middleware/validate";
import { kbNameSchema } from "../model/fields";

export const wsRoutes = new Hono<AppEnv>().get(
  "/",
  validate("query", z.object({ kb: kbNameSchema.optional(), token: z.string().optional() })),
  async (c) => {
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(426, "upgrade_required", "GET /ws expects a WebSocket upgrade");
    }
    if (!c.env.EMBED_WORKER) {
      throw new ApiError(409, "no_worker", "events need the EmbedWorker binding");
    }
    return embedWorkerStub(c.env).fetch(c.req.raw);
  },
);
