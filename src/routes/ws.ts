/**
 * `GET /ws[?kb=]`: hands the WebSocket upgrade to the EmbedWorker, which owns every socket. A
 * handshake from a foreign page never gets here: the app refuses its Host or Origin first
 * (src/middleware/host.ts, origin.ts).
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { embedWorkerStub } from "../embed-worker/embed-worker";
import { ApiError } from "../errors";
import { kbNameSchema } from "../model/fields";
import { createRouter, errorResponses } from "./openapi-kit";

const events = createRoute({
  method: "get",
  path: "/",
  summary: "Entry and embedding events (WebSocket)",
  description:
    "A WebSocket (subprotocol `pyrite`) that receives `entry_created`, `entry_updated`, `entry_deleted`, `embed_complete` and `embed_failed`, for one KB or all. Browsers may offer the token as the subprotocol `bearer.<token>` or `?token=`.",
  request: {
    query: z.object({ kb: kbNameSchema.optional(), token: z.string().optional() }),
  },
  responses: {
    101: { description: "Switching to the WebSocket protocol" },
    ...errorResponses(400, 409, 426),
  },
});

export const wsRoutes = createRouter().openapi(events, async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(426, "upgrade_required", "GET /ws expects a WebSocket upgrade");
  }
  if (!c.env.EMBED_WORKER) {
    throw new ApiError(409, "no_worker", "events need the EmbedWorker binding");
  }
  return embedWorkerStub(c.env).fetch(c.req.raw);
});
