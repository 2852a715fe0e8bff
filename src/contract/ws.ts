/** The contract of `GET /ws`: the WebSocket of entry and embedding events. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { kbNameSchema } from "../model/fields.js";
import { errorResponses } from "./content.js";

export const events = createRoute({
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
