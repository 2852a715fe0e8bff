/** `/api/entries`: create, list, read, replace, patch, delete. */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
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
import { entryIdSchema } from "../model/fields";
import {
  entryDeletedSchema,
  entryListSchema,
  entryReadSchema,
  entryWriteResultSchema,
} from "../shared/schemas/entry";
import { createRouter, errorResponses, json, jsonResponse } from "./openapi-kit";

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

const idParams = z.object({ id: entryIdSchema });
/** `If-Match`: documented here, parsed by the handler (a malformed one is a 400). */
const ifMatchHeader = z.object({
  "if-match": z.string().optional().meta({
    description: "Write only over this version (the entry's ETag); a stale one answers 412",
  }),
});
const etagHeader = {
  ETag: { description: "The entry's version, for If-Match", schema: { type: "string" as const } },
};

const create = createRoute({
  method: "post",
  path: "/",
  summary: "Create an entry",
  description:
    "The id defaults to the title's slug; the answer says what happens to the embedding.",
  request: { body: { ...json(createEntrySchema), required: true } },
  responses: {
    201: { ...jsonResponse(entryWriteResultSchema, "Created"), headers: etagHeader },
    ...errorResponses(400, 409),
  },
});

const list = createRoute({
  method: "get",
  path: "/",
  summary: "List a KB",
  description:
    "A page of a KB in id order, with `total`: metadata and a short excerpt of each body (`fields=body` adds whole bodies). A page also stops at about 4 MiB of text: continue from `next_offset`.",
  request: { query: listQuerySchema },
  responses: { 200: jsonResponse(entryListSchema, "A page of entries"), ...errorResponses(400) },
});

const read = createRoute({
  method: "get",
  path: "/{id}",
  summary: "Read an entry",
  description: "The entry, and where its embedding stands.",
  request: { params: idParams, query: kbQuerySchema },
  responses: {
    200: { ...jsonResponse(entryReadSchema, "The entry"), headers: etagHeader },
    ...errorResponses(400, 404),
  },
});

const replace = createRoute({
  method: "put",
  path: "/{id}",
  summary: "Replace an entry",
  description: "A full replacement: omitted optional fields return to their defaults.",
  request: {
    params: idParams,
    query: kbQuerySchema,
    headers: ifMatchHeader,
    body: { ...json(replaceEntrySchema), required: true },
  },
  responses: {
    200: { ...jsonResponse(entryWriteResultSchema, "Replaced"), headers: etagHeader },
    ...errorResponses(400, 404, 409, 412),
  },
});

const patch = createRoute({
  method: "patch",
  path: "/{id}",
  summary: "Patch an entry",
  description:
    "Only the fields given change; only a change to title, summary or body re-queues the embedding.",
  request: {
    params: idParams,
    query: kbQuerySchema,
    headers: ifMatchHeader,
    body: { ...json(patchEntrySchema), required: true },
  },
  responses: {
    200: { ...jsonResponse(entryWriteResultSchema, "Patched"), headers: etagHeader },
    ...errorResponses(400, 404, 409, 412),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Delete an entry",
  description: "The entry, its queue row and its vectors go together.",
  request: { params: idParams, query: kbQuerySchema, headers: ifMatchHeader },
  responses: {
    200: jsonResponse(entryDeletedSchema, "Deleted"),
    ...errorResponses(400, 404, 412),
  },
});

export const entriesRoutes = createRouter()
  .openapi(create, async (c) => {
    const result = await c.var.entries.create(c.req.valid("json"));
    setEtag(c, result);
    return c.json(result, 201);
  })
  .openapi(list, async (c) => {
    const { kb, limit, offset, fields } = c.req.valid("query");
    const bodies = fields?.includes("body") ?? false;
    return c.json(await c.var.entries.list(kb, { limit, offset, bodies }), 200);
  })
  .openapi(read, async (c) => {
    const { kb } = c.req.valid("query");
    const result = await c.var.entries.get(kb, c.req.valid("param").id);
    setEtag(c, result);
    return c.json(result, 200);
  })
  .openapi(replace, async (c) => {
    const { kb } = c.req.valid("query");
    const { kb: bodyKb, ...fields } = c.req.valid("json");
    sameKb(kb, bodyKb);
    const { id } = c.req.valid("param");
    const result = await c.var.entries.update(kb, id, fields, "replace", ifMatchOf(c));
    setEtag(c, result);
    return c.json(result, 200);
  })
  .openapi(patch, async (c) => {
    const { kb } = c.req.valid("query");
    const fields = c.req.valid("json");
    sameKb(kb, fields.kb);
    const { id } = c.req.valid("param");
    const result = await c.var.entries.update(kb, id, fields, "patch", ifMatchOf(c));
    setEtag(c, result);
    return c.json(result, 200);
  })
  .openapi(remove, async (c) => {
    const { kb } = c.req.valid("query");
    const { id } = c.req.valid("param");
    await c.var.entries.delete(kb, id, ifMatchOf(c));
    return c.json({ deleted: true as const, kb_name: kb, id }, 200);
  });
