/**
 * `GET /ws[?kb=]`: hands the WebSocket upgrade to the EmbedWorker, which owns every socket. A
 * handshake from a foreign page never gets here: the app refuses its Host or Origin first
 * (src/middleware/host.ts, origin.ts).
 */
import { events } from "../contract/ws";
import { embedWorkerStub } from "../embed-worker/embed-worker";
import { ApiError } from "../errors";
import { createRouter } from "./openapi-kit";

export const wsRoutes = createRouter().openapi(events, async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(426, "upgrade_required", "GET /ws expects a WebSocket upgrade");
  }
  if (!c.env.EMBED_WORKER) {
    throw new ApiError(409, "no_worker", "events need the EmbedWorker binding");
  }
  return embedWorkerStub(c.env).fetch(c.req.raw);
});
