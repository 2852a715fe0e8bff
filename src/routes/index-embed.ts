/** `/api/index/*`: the embedding queue's status and controls. */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env";
import { optionalJsonBody, validate } from "../middleware/validate";
import { entryIdSchema, kbNameSchema, queryInt } from "../model/fields";
import { limits } from "../model/limits";

const kbOnlyQuery = z.object({ kb: kbNameSchema.optional() });
const embedBody = z.strictObject({
  kb: kbNameSchema.optional(),
  force: z.boolean().default(false),
  background: z.boolean().default(false),
  limit: z.number().int().min(1).max(limits.syncEmbedRows).optional(),
});
const retryBody = z
  .strictObject({ kb: kbNameSchema.optional(), id: entryIdSchema.optional() })
  .refine((b) => b.id === undefined || b.kb !== undefined, {
    message: "id needs kb",
    path: ["kb"],
  });
const failedQuery = z.object({
  kb: kbNameSchema.optional(),
  limit: queryInt(1, 500).default(50),
});
/** Pause and resume take no options; a body, if any, must be an empty object. */
const noOptions = z.strictObject({});

export const indexRoutes = new Hono<AppEnv>()
  .get("/embed-status", validate("query", kbOnlyQuery), async (c) =>
    c.json(await c.var.index.status(c.req.valid("query").kb)),
  )
  .post("/embed", async (c) =>
    c.json(await c.var.index.embed(await optionalJsonBody(c.req.raw, embedBody))),
  )
  .post("/embed/pause", async (c) => {
    await optionalJsonBody(c.req.raw, noOptions);
    return c.json({ worker: await c.var.index.pause() });
  })
  .post("/embed/resume", async (c) => {
    await optionalJsonBody(c.req.raw, noOptions);
    return c.json({ worker: await c.var.index.resume() });
  })
  .get("/embed/failed", validate("query", failedQuery), async (c) => {
    const { kb, limit } = c.req.valid("query");
    return c.json(await c.var.index.failed(kb, limit));
  })
  .post("/embed/retry-failed", async (c) => {
    const body = await optionalJsonBody(c.req.raw, retryBody);
    return c.json(await c.var.index.retryFailed(body.kb, body.id));
  });
