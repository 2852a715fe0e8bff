/** `/api/entries`: create, list, read, replace, patch, delete. */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import * as entries from "../contract/entries";
import { parseIfMatch } from "../domain/etag";
import { ApiError } from "../errors";
import { createRouter } from "./openapi-kit";

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
function setEtag(c: Context<AppEnv>, result: { entry: { etag: string } }): void {
  c.header("ETag", result.entry.etag);
}

export const entriesRoutes = createRouter()
  .openapi(entries.create, async (c) => {
    const result = await c.var.entries.create(c.req.valid("json"));
    setEtag(c, result);
    return c.json(result, 201);
  })
  .openapi(entries.list, async (c) => {
    const { kb, limit, offset, fields } = c.req.valid("query");
    const bodies = fields?.includes("body") ?? false;
    return c.json(await c.var.entries.list(kb, { limit, offset, bodies }), 200);
  })
  .openapi(entries.read, async (c) => {
    const { kb } = c.req.valid("query");
    const result = await c.var.entries.get(kb, c.req.valid("param").id);
    setEtag(c, result);
    return c.json(result, 200);
  })
  .openapi(entries.replace, async (c) => {
    const { kb } = c.req.valid("query");
    const { kb: bodyKb, ...fields } = c.req.valid("json");
    sameKb(kb, bodyKb);
    const { id } = c.req.valid("param");
    const result = await c.var.entries.update(kb, id, fields, "replace", ifMatchOf(c));
    setEtag(c, result);
    return c.json(result, 200);
  })
  .openapi(entries.patch, async (c) => {
    const { kb } = c.req.valid("query");
    const fields = c.req.valid("json");
    sameKb(kb, fields.kb);
    const { id } = c.req.valid("param");
    const result = await c.var.entries.update(kb, id, fields, "patch", ifMatchOf(c));
    setEtag(c, result);
    return c.json(result, 200);
  })
  .openapi(entries.remove, async (c) => {
    const { kb } = c.req.valid("query");
    const { id } = c.req.valid("param");
    await c.var.entries.delete(kb, id, ifMatchOf(c));
    return c.json({ deleted: true as const, kb_name: kb, id }, 200);
  });
