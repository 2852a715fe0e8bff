/** Request shapes for entries, validated at the edge of the API with zod. */
import { z } from "zod";

/** Bounds that keep one request from exhausting the worker or D1. */
export const limits = {
  titleChars: 1000,
  summaryChars: 10_000,
  // D1 caps a row at 1,000,000 bytes: the body's bound leaves room for every other field.
  bodyBytes: 800_000,
  requestBytes: 2 * 1024 * 1024,
  /** Entries in one `POST /api/entries/batch`. */
  batchEntries: 500,
  tags: 100,
  tagChars: 100,
  metadataBytes: 64 * 1024,
  listLimit: 500,
  /** Characters of the body a list shows as `excerpt`. */
  listExcerptChars: 240,
  /**
   * Bytes of entry text one list page may carry (the rest of the page is left for the next):
   * 500 entries of 800 kB would be 400 MB, past a Worker's 128 MB.
   */
  listBytes: 4 * 1024 * 1024,
  searchLimit: 100,
  searchQueryChars: 1000,
  /**
   * Deepest search offset: hybrid reads offset + limit + 50 candidates from FTS5 and from the
   * vector index, so a deeper page is a 400 rather than thousands of rows read for ten.
   */
  searchOffset: 1000,
  /** Rows one request embeds synchronously (sync `POST /api/index/embed`, sync-mode batches). */
  syncEmbedRows: 64,
} as const;

/** KB names: lowercase, digits, `_` and `-`, starting with a letter or digit. */
export const kbNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "kb must match ^[a-z0-9][a-z0-9_-]{0,63}$");

/** Entry ids: a slug-like token; no slashes, dots-only or control characters. */
export const entryIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/,
    "id must be 1-200 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

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

/**
 * A whole number from a query string: decimal digits only. `z.coerce.number()` would take
 * "", " ", "1e2" or "0x10" as numbers.
 */
export function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

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
export type ReplaceEntryInput = z.infer<typeof replaceEntrySchema>;

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
export const listExtraFields = ["body"] as const;

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

/** `GET /api/search` */
export const searchQuerySchema = z.object({
  q: z.string().trim().min(1, "q is required").max(limits.searchQueryChars),
  kb: kbNameSchema.optional(),
  mode: z.enum(["keyword", "semantic", "hybrid"]).default("keyword"),
  limit: queryInt(1, limits.searchLimit).default(10),
  offset: queryInt(0, limits.searchOffset).default(0),
});
export type SearchQuery = z.infer<typeof searchQuerySchema>;
