/** `/api/entries`: create, list, read, replace, patch, delete. */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import {
  createEntrySchema,
  entryIdSchema,
  kbQuerySchema,
  listQuerySchema,
  patchEntrySchema,
  replaceEntrySchema,
} from "../domain/entry-input";
import { ApiError } from "../errors";
import { validate } from "../middleware/validate";

/** The entry id from the path, validated like any other input. */
function entryId(raw: string): string {
  const parsed = entryIdSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError(
      400,
      "invalid_request",
      `id: ${parsed.error.issues[0]?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

/** A body's `kb`, when given, must name the same KB as the query. */
function sameKb(queryKb: string, bodyKb: string | undefined): void {
  if (bodyKb !== undefined && bodyKb !== queryKb) {
    throw new ApiError(400, "invalid_request", "kb in the body differs from ?kb=");
  }
}

export const entriesRoutes = new Hono<AppEnv>()
  .post("/", validate("json", createEntrySchema), async (c) => {
    const result = await c.var.entries.create(c.req.valid("json"));
    return c.json(result, 201);
  })
  .get("/", validate("query", listQuerySchema), async (c) => {
    const { kb, limit, offset } = c.req.valid("query");
    return c.json(await c.var.entries.list(kb, limit, offset));
  })
  .get("/:id", validate("query", kbQuerySchema), async (c) => {
    const { kb } = c.req.valid("query");
    return c.json(await c.var.entries.get(kb, entryId(c.req.param("id"))));
  })
  .put(
    "/:id",
    validate("query", kbQuerySchema),
    validate("json", replaceEntrySchema),
    async (c) => {
      const { kb } = c.req.valid("query");
      const { kb: bodyKb, ...fields } = c.req.valid("json");
      sameKb(kb, bodyKb);
      return c.json(await c.var.entries.update(kb, entryId(c.req.param("id")), fields, "replace"));
    },
  )
  .patch(
    "/:id",
    validate("query", kbQuerySchema),
    validate("json", patchEntrySchema),
    async (c) => {
      const { kb } = c.req.valid("query");
      const patch = c.req.valid("json");
      sameKb(kb, patch.kb);
      return c.json(await c.var.entries.update(kb, entryId(c.req.param("id")), patch, "patch"));
    },
  )
  .delete("/:id", validate("query", kbQuerySchema), async (c) => {
    const { kb } = c.req.valid("query");
    const id = entryId(c.req.param("id"));
    await c.var.entries.delete(kb, id);
    return c.json({ deleted: true, kb_name: kb, id });
  });
