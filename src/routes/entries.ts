/** `/api/entries`: create, list, read, replace, patch, delete. */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../app-env";
import {
  createEntrySchema,
  kbQuerySchema,
  listQuerySchema,
  patchEntrySchema,
  replaceEntrySchema,
} from "../domain/entry-input";
import { parseIfMatch } from "../domain/etag";
import { ApiError } from "../errors";
import { validate } from "../middleware/validate";
import { entryIdSchema } from "../model/fields";

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

/** `If-Match`, parsed (400 when malformed). */
function ifMatchOf(c: Context<AppEnv>) {
  return parseIfMatch(c.req.header("If-Match"));
}

/**
 * Answers with an entry and its `ETag`, so a client can send it back as `If-Match` and have its
 * write refused (412) rather than overwrite a change it has not seen.
 */
function withEtag<T extends { entry: { etag: string } }>(
  c: Context<AppEnv>,
  result: T,
  status: 200 | 201 = 200,
) {
  c.header("ETag", result.entry.etag);
  return c.json(result, status);
}

export const entriesRoutes = new Hono<AppEnv>()
  .post("/", validate("json", createEntrySchema), async (c) => {
    return withEtag(c, await c.var.entries.create(c.req.valid("json")), 201);
  })
  .get("/", validate("query", listQuerySchema), async (c) => {
    const { kb, limit, offset, fields } = c.req.valid("query");
    const bodies = fields?.includes("body") ?? false;
    return c.json(await c.var.entries.list(kb, { limit, offset, bodies }));
  })
  .get("/:id", validate("query", kbQuerySchema), async (c) => {
    const { kb } = c.req.valid("query");
    return withEtag(c, await c.var.entries.get(kb, entryId(c.req.param("id"))));
  })
  .put(
    "/:id",
    validate("query", kbQuerySchema),
    validate("json", replaceEntrySchema),
    async (c) => {
      const { kb } = c.req.valid("query");
      const { kb: bodyKb, ...fields } = c.req.valid("json");
      sameKb(kb, bodyKb);
      const id = entryId(c.req.param("id"));
      return withEtag(c, await c.var.entries.update(kb, id, fields, "replace", ifMatchOf(c)));
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
      const id = entryId(c.req.param("id"));
      return withEtag(c, await c.var.entries.update(kb, id, patch, "patch", ifMatchOf(c)));
    },
  )
  .delete("/:id", validate("query", kbQuerySchema), async (c) => {
    const { kb } = c.req.valid("query");
    const id = entryId(c.req.param("id"));
    await c.var.entries.delete(kb, id, ifMatchOf(c));
    return c.json({ deleted: true, kb_name: kb, id });
  });
