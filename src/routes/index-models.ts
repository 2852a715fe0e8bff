/** `/api/index/*` of the index's models: migrate (or estimate), rollback, drop a kept set. */
import * as models from "../contract/index-models";
import { bodyHook, createRouter, withOptionalBody } from "./openapi-kit";

export const modelRoutes = createRouter()
  .openapi(models.migration, async (c) =>
    c.json(await c.var.models.status(c.req.valid("query").kb), 200),
  )
  .openapi(
    models.migrate,
    async (c) => {
      const body = c.req.valid("json");
      if (body.dry_run) {
        return c.json({ estimate: await c.var.models.estimate(body.model, body.kb) }, 200);
      }
      return c.json(await c.var.models.migrate(body.model, body.switch_at), 200);
    },
    bodyHook,
  )
  .openapi(
    withOptionalBody(models.rollback),
    async (c) => c.json(await c.var.models.rollback(), 200),
    bodyHook,
  )
  .openapi(
    models.dropModel,
    async (c) => c.json(await c.var.models.drop(c.req.valid("json").model), 200),
    bodyHook,
  )
  .openapi(
    withOptionalBody(models.adoptPrimary),
    async (c) => c.json(await c.var.models.adoptPrimary(), 200),
    bodyHook,
  );
