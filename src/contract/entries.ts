/** The contract of `/api/entries`: create, list, read, replace, patch, delete. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import {
  createEntrySchema,
  kbQuerySchema,
  listQuerySchema,
  patchEntrySchema,
  replaceEntrySchema,
} from "../domain/entry-input.js";
import { entryIdSchema } from "../model/fields.js";
import {
  entryDeletedSchema,
  entryListSchema,
  entryReadSchema,
  entryWriteResultSchema,
} from "../shared/schemas/entry.js";
import { errorResponses, json, jsonResponse } from "./content.js";

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

export const create = createRoute({
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

export const list = createRoute({
  method: "get",
  path: "/",
  summary: "List a KB",
  description:
    "A page of a KB in id order, with `total`: metadata and a short excerpt of each body (`fields=body` adds whole bodies). A page also stops at about 4 MiB of text: continue from `next_offset`.",
  request: { query: listQuerySchema },
  responses: { 200: jsonResponse(entryListSchema, "A page of entries"), ...errorResponses(400) },
});

export const read = createRoute({
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

export const replace = createRoute({
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

export const patch = createRoute({
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

export const remove = createRoute({
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
