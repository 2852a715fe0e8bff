/** The search request as `GET /api/search` takes it from the query string. */
import { z } from "zod";
import { kbNameSchema, queryInt } from "../model/fields.js";
import { limits } from "../model/limits.js";

/** `GET /api/search` */
export const searchQuerySchema = z.object({
  q: z.string().trim().min(1, "q is required").max(limits.searchQueryChars),
  kb: kbNameSchema.optional(),
  mode: z.enum(["keyword", "semantic", "hybrid"]).default("keyword"),
  limit: queryInt(1, limits.searchLimit).default(10),
  offset: queryInt(0, limits.searchOffset).default(0),
});
export type SearchQuery = z.infer<typeof searchQuerySchema>;
