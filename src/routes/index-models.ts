/** `/api/index/*` of the index's models: migrate (or estimate), rollback, drop a kept set. */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env";
import { optionalJsonBody, validate } from "../middleware/validate";
import { kbNameSchema } from "../model/fields";

const modelName = z.string().trim().min(1).max(1000);
const migrateBody = z.strictObject({
  model: modelName,
  /** Shadow coverage (0–1] at which to switch; 1 (all) by default. */
  switch_at: z.number().gt(0).max(1).default(1),
  dry_run: z.boolean().default(false),
  /** Dry run only: estimate one KB. */
  kb: kbNameSchema.optional(),
});
const dropBody = z.strictObject({ model: modelName });
const kbOnlyQuery = z.object({ kb: kbNameSchema.optional() });
const noOptions = z.strictObject({});

export const modelRoutes = new Hono<AppEnv>()
  .get("/migrate", validate("query", kbOnlyQuery), async (c) =>
    c.json(await c.var.models.status(c.req.valid("query").kb)),
  )
  .post("/migrate", async (c) => {
    const body = await optionalJsonBody(c.req.raw, migrateBody);
    if (body.dry_run) return c.json({ estimate: await c.var.models.estimate(body.model, body.kb) });
    return c.json(await c.var.models.migrate(body.model, body.switch_at));
  })
  .post("/rollback", async (c) => {
    await optionalJsonBody(c.req.raw, noOptions);
    return c.json(await c.var.models.rollback());
  })
  .post("/drop-model", async (c) => {
    const body = await optionalJsonBody(c.req.raw, dropBody);
    return c.json(await c.var.models.drop(body.model));
  })
  .post("/adopt-primary", async (c) => {
    await optionalJsonBody(c.req.raw, noOptions);
    return c.json(await c.var.models.adoptPrimary());
  });
