/** The response shape of `GET /api/search`. */
import { z } from "zod";

/** The passage of an entry that matched a semantic or hybrid search. */
const searchPassageSchema = z
  .object({
    text: z.string().meta({ description: "The passage's text: `body.slice(start, end)`" }),
    heading_path: z
      .array(z.string())
      .meta({ description: "The headings it sits under, outermost first" }),
    start: z.number().int(),
    end: z.number().int(),
  })
  .meta({ id: "SearchPassage" });

/** One search result. */
export const searchResultSchema = z
  .object({
    kb_name: z.string(),
    id: z.string(),
    title: z.string(),
    entry_type: z.string(),
    summary: z.string(),
    snippet: z.string(),
    score: z.number(),
    passage: searchPassageSchema.nullable().optional().meta({
      description:
        "Semantic and hybrid only: the entry's passage nearest the query; null when the entry has no current passage set of the active model (not yet embedded, or its text changed since)",
    }),
  })
  .meta({ id: "SearchResult" });

/** Why a search answered with less than it was asked for. */
export const degradedSchema = z
  .object({
    code: z.enum(["embedder_unavailable", "serving_model_unavailable"]).meta({
      description:
        "`embedder_unavailable`: the embedder failed or missed the deadline; keyword results only. " +
        "`serving_model_unavailable`: the serving model cannot be loaded here; the semantic part " +
        "is a migration target's, which covers only part of the index (see `semantic_coverage`)",
    }),
    message: z.string(),
  })
  .meta({ id: "Degraded" });

/** What a search answers. */
export const searchResponseSchema = z
  .object({
    query: z.string(),
    mode: z.enum(["keyword", "semantic", "hybrid"]),
    kb: z.string().nullable(),
    limit: z.number().int(),
    offset: z.number().int(),
    results: z.array(searchResultSchema),
    model: z.string().nullable().meta({ description: "The active model" }),
    semantic: z
      .boolean()
      .meta({ description: "Whether the model's similarities are semantic (false for `hash`)" }),
    semantic_coverage: z
      .object({ embedded: z.number().int(), entries: z.number().int(), ratio: z.number() })
      .nullable()
      .meta({
        description: "Share of the searched entries that have a vector of the active model",
      }),
    degraded: degradedSchema.nullable().meta({
      description: "Set when a hybrid search fell back to keywords alone; null otherwise",
    }),
  })
  .meta({ id: "SearchResponse" });
