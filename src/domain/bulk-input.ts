/**
 * `POST /api/entries/batch` request shapes. The envelope is validated first; each item is then
 * validated on its own so a 400 can name every invalid item with all of its reasons.
 */
import { z } from "zod";
import { kbNameSchema } from "../model/fields.js";
import { limits } from "../model/limits.js";
import { createEntrySchema } from "./entry-input.js";

/** How a batch treats ids that already exist. */
export type BulkMode = "create" | "upsert";

/** The request envelope; items stay unparsed until `batchItemSchema`. */
export const batchRequestSchema = z.strictObject({
  kb: kbNameSchema.optional(),
  mode: z.enum(["create", "upsert"]).default("upsert"),
  entries: z
    .array(z.unknown())
    .min(1, "entries must hold at least one entry")
    .max(limits.batchEntries, `entries must hold at most ${limits.batchEntries} entries`),
});

/** One item: an entry as `POST /api/entries` takes it, its KB optional (the request's applies). */
export const batchItemSchema = createEntrySchema.extend({ kb: kbNameSchema.optional() });

/** One invalid item of a rejected batch. */
export interface InvalidItem {
  index: number;
  /** The item's id when it has one (given or derived from its title). */
  id?: string;
  errors: { path: string; message: string }[];
}
