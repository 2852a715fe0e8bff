/** `/api/index/*`: the embedding queue's status and controls. */
import * as index from "../contract/index-embed";
import { bodyHook, createRouter, withOptionalBody } from "./openapi-kit";

export const indexRoutes = createRouter()
  .openapi(index.status, async (c) =>
    c.json(await c.var.index.status(c.req.valid("query").kb), 200),
  )
  .openapi(
    withOptionalBody(index.embed),
    async (c) => c.json(await c.var.index.embed(c.req.valid("json")), 200),
    bodyHook,
  )
  .openapi(
    withOptionalBody(index.pause),
    async (c) => c.json({ worker: await c.var.index.pause() }, 200),
    bodyHook,
  )
  .openapi(
    withOptionalBody(index.resume),
    async (c) => c.json({ worker: await c.var.index.resume() }, 200),
    bodyHook,
  )
  .openapi(index.failed, async (c) => {
    const { kb, limit } = c.req.valid("query");
    return c.json(await c.var.index.failed(kb, limit), 200);
  })
  .openapi(
    withOptionalBody(index.retry),
    async (c) => {
      const body = c.req.valid("json");
      return c.json(await c.var.index.retryFailed(body.kb, body.id), 200);
    },
    bodyHook,
  );
