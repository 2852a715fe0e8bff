/** Response shapes of `/api/entries`: an entry, a page of them, what a write and a read answer. */
import { z } from "zod";

/** An entry, as every route answers with it. */
export const entrySchema = z
  .object({
    kb_name: z.string(),
    id: z.string(),
    entry_type: z.string(),
    title: z.string(),
    body: z.string(),
    summary: z.string(),
    tags: z.array(z.string()),
    importance: z.number().int(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
    content_hash: z.string(),
    version: z.number().int().meta({ description: "1 at creation, +1 on every update" }),
    etag: z.string().meta({
      description:
        "The entry's ETag (also sent as the `ETag` header): give it as `If-Match` to write safely",
    }),
  })
  .meta({ id: "Entry" });

/** An entry as `GET /api/entries` lists it: a short excerpt, and the body only if asked for. */
export const entryListItemSchema = entrySchema
  .omit({ body: true })
  .extend({ excerpt: z.string(), body: z.string().optional() })
  .meta({ id: "EntryListItem" });

/** `GET /api/entries`. */
export const entryListSchema = z
  .object({
    entries: z.array(entryListItemSchema),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
    next_offset: z.number().int().nullable().meta({
      description:
        "Where the next page starts, or null at the end. A page may hold fewer than `limit` entries when their size reached the response's byte budget: continue from here.",
    }),
  })
  .meta({ id: "EntryList" });

/** What a write says will happen to the entry's embedding. */
export const writeEmbeddingStatusSchema = z.enum([
  "queued",
  "unchanged",
  "embedded",
  "queued_after_error",
  "disabled",
]);

/** `POST /api/entries`, `PUT|PATCH /api/entries/:id`. */
export const entryWriteResultSchema = z
  .object({
    entry: entrySchema,
    embedding: z.object({ status: writeEmbeddingStatusSchema, error: z.string().optional() }),
  })
  .meta({ id: "EntryWriteResult" });

/** An entry's embedding as a read shows it. */
export const embeddingViewSchema = z
  .object({
    status: z.enum(["pending", "processing", "done", "failed", "missing"]),
    attempts: z.number().int().optional(),
    error: z.string().nullable().optional(),
    queued_at: z.string().optional(),
    embedded_at: z.string().nullable().optional(),
    model: z.string().nullable().optional(),
    stale: z
      .boolean()
      .optional()
      .meta({ description: "True when the stored vector is not of the current text" }),
  })
  .meta({ id: "EmbeddingView" });

/** `GET /api/entries/:id`: the entry and where its embedding stands. */
export const entryReadSchema = z
  .object({ entry: entrySchema, embedding: embeddingViewSchema })
  .meta({ id: "EntryRead" });

/** `DELETE /api/entries/:id`. */
export const entryDeletedSchema = z
  .object({ deleted: z.literal(true), kb_name: z.string(), id: z.string() })
  .meta({ id: "EntryDeleted" });
