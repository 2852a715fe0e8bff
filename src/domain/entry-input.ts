/** Request shapes for entries, validated at the edge of the API with zod. */
import { z } from "zod";
import { entryIdSchema, kbNameSchema, queryInt } from "../model/fields.js";
import { limits } from "../model/limits.js";

const byteLength = (s: string) => new TextEncoder().encode(s).length;

/**
 * Text stored as UTF-8 must be valid Unicode: an unpaired surrogate cannot be encoded, so D1 would
 * hand back something else (U+FFFD). Refused, so that what is accepted round-trips exactly.
 */
const wellFormed = (s: string) => !/[\uD800-\uDFFF]/u.test(s);
const wellFormedMessage = "must be valid Unicode (no unpaired surrogates)";

const bodySchema = z
  .string()
  .refine(
    (s) => byteLength(s) <= limits.bodyBytes,
    `body must be at most ${limits.bodyBytes} bytes`,
  )
  .refine(wellFormed, `body ${wellFormedMessage}`);

const metadataSchema = z
  .record(z.string(), z.unknown())
  .refine(
    (m) => byteLength(JSON.stringify(m)) <= limits.metadataBytes,
    `metadata must be at most ${limits.metadataBytes} bytes as JSON`,
  );

const entryFields = {
  title: z
    .string()
    .trim()
    .min(1, "title is required")
    .max(limits.titleChars)
    .refine(wellFormed, `title ${wellFormedMessage}`),
  body: bodySchema,
  summary: z.string().max(limits.summaryChars).refine(wellFormed, `summary ${wellFormedMessage}`),
  entry_type: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,63}$/, "entry_type must be a lowercase identifier"),
  tags: z.array(z.string().min(1).max(limits.tagChars)).max(limits.tags),
  importance: z.number().int().min(1).max(10),
  metadata: metadataSchema,
};

/** `POST /api/entries` */
export const createEntrySchema = z.strictObject({
  kb: kbNameSchema,
  id: entryIdSchema.optional(),
  title: entryFields.title,
  body: entryFields.body.default(""),
  summary: entryFields.summary.default(""),
  entry_type: entryFields.entry_type.default("note"),
  tags: entryFields.tags.default([]),
  importance: entryFields.importance.default(5),
  metadata: entryFields.metadata.default({}),
});
export type CreateEntryInput = z.infer<typeof createEntrySchema>;

/** `PUT /api/entries/:id`: a full replacement; omitted optional fields return to defaults. */
export const replaceEntrySchema = createEntrySchema.omit({ kb: true, id: true }).extend({
  kb: kbNameSchema.optional(),
});

/** `PATCH /api/entries/:id`: only the fields given change. */
export const patchEntrySchema = z
  .strictObject({
    kb: kbNameSchema.optional(),
    title: entryFields.title.optional(),
    body: entryFields.body.optional(),
    summary: entryFields.summary.optional(),
    entry_type: entryFields.entry_type.optional(),
    tags: entryFields.tags.optional(),
    importance: entryFields.importance.optional(),
    metadata: entryFields.metadata.optional(),
  })
  .refine(
    (p) => Object.keys(p).some((k) => k !== "kb"),
    "at least one field to change is required",
  );
export type PatchEntryInput = z.infer<typeof patchEntrySchema>;

/** The fields an entry has after a write, before ids and timestamps. */
export type EntryFields = Omit<CreateEntryInput, "kb" | "id">;

/** `?kb=` on single-entry routes. */
export const kbQuerySchema = z.object({ kb: kbNameSchema });

/** Fields a list leaves out unless `?fields=` names them. */
const listExtraFields = ["body"] as const;

/** `GET /api/entries` */
export const listQuerySchema = z.object({
  kb: kbNameSchema,
  limit: queryInt(1, limits.listLimit).default(50),
  offset: queryInt(0, 1_000_000).default(0),
  /** Comma-separated extra fields: `body` adds each entry's whole body to its excerpt. */
  fields: z
    .string()
    .transform((s) => s.split(",").map((f) => f.trim()))
    .pipe(z.array(z.enum(listExtraFields)))
    .optional(),
});
