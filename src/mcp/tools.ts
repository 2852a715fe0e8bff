/**
 * The MCP tools: each one validates its arguments with the REST API's own schemas and calls the
 * same service as the matching REST route, so a write through MCP is queued exactly like a REST
 * write (the worker embeds it later; MCP never runs the embedding loop itself).
 */
import { z } from "zod";
import type { AppEnv } from "../app-env";
import { createEntrySchema, patchEntrySchema } from "../domain/entry-input";
import { parseIfMatch } from "../domain/etag";
import { entryIdSchema, kbNameSchema } from "../model/fields";
import { limits } from "../model/limits";

/** The services a tool may call: the ones the composition root puts on each request. */
export type ToolServices = Pick<AppEnv["Variables"], "entries" | "search" | "index">;

/** Hints MCP clients use to decide whether to ask before calling. */
interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
}

/** One tool: its name, description, argument schema, and what it does. */
export interface ToolSpec<S extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: S;
  annotations: ToolAnnotations;
  // A method (not a property) so specs of different argument types fit one list.
  run(services: ToolServices, args: z.output<S>): Promise<unknown>;
}

function defineTool<S extends z.ZodType>(spec: ToolSpec<S>): ToolSpec<S> {
  return spec;
}

const entryKey = z.strictObject({
  kb: kbNameSchema.describe("knowledge base name"),
  id: entryIdSchema.describe("entry id (the slug of its title unless one was given)"),
});

const updateInput = z
  .strictObject({
    ...patchEntrySchema.shape,
    kb: entryKey.shape.kb,
    id: entryKey.shape.id,
    if_match: z
      .string()
      .optional()
      .describe(
        "the entry's etag as last read: the update is refused (precondition_failed) if the entry changed since",
      ),
  })
  .refine(
    (p) => Object.keys(p).some((k) => k !== "kb" && k !== "id" && k !== "if_match"),
    "at least one field to change is required",
  );

// Plain numbers (not the query string's coercion) so the advertised JSON Schema says "integer".
const searchInput = z.strictObject({
  q: z.string().trim().min(1, "q is required").max(limits.searchQueryChars),
  kb: kbNameSchema.optional().describe("search one knowledge base; all when omitted"),
  mode: z
    .enum(["keyword", "semantic", "hybrid"])
    .default("hybrid")
    .describe(
      "keyword = FTS5 bm25; semantic = vectors; hybrid = weighted sum of both normalised scores",
    ),
  limit: z.number().int().min(1).max(limits.searchLimit).default(10),
  offset: z.number().int().min(0).max(limits.searchOffset).default(0),
});

const statusInput = z.strictObject({
  kb: kbNameSchema.optional().describe("one knowledge base; all when omitted"),
});

/** Every tool the endpoint offers. */
export const tools: readonly ToolSpec[] = [
  defineTool({
    name: "create_entry",
    title: "Create entry",
    description:
      "Creates an entry in a knowledge base. Its embedding is queued and computed in the background; embed_status or get_entry shows when it is done.",
    input: createEntrySchema,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    run: (s, args) => s.entries.create(args),
  }),
  defineTool({
    name: "update_entry",
    title: "Update entry",
    description:
      "Changes the given fields of an entry (the others keep their values, including changes made concurrently). The embedding is re-queued only if the title, summary or body changed. Give if_match (the etag get_entry returned) to apply the change only to that version.",
    input: updateInput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: (s, { kb, id, if_match, ...patch }) =>
      s.entries.update(kb, id, patch, "patch", parseIfMatch(if_match)),
  }),
  defineTool({
    name: "get_entry",
    title: "Get entry",
    description: "Reads an entry and the state of its embedding (pending, done, failed …).",
    input: entryKey,
    annotations: { readOnlyHint: true },
    run: (s, { kb, id }) => s.entries.get(kb, id),
  }),
  defineTool({
    name: "delete_entry",
    title: "Delete entry",
    description: "Deletes an entry together with its queued work and its vector.",
    input: entryKey,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    run: async (s, { kb, id }) => {
      await s.entries.delete(kb, id);
      return { deleted: true, kb_name: kb, id };
    },
  }),
  defineTool({
    name: "search",
    title: "Search entries",
    description:
      "Searches entries by keyword, by meaning (semantic) or both (hybrid). The answer says whether the active model is semantic; when it is not, semantic results are lexical only.",
    input: searchInput,
    annotations: { readOnlyHint: true },
    run: (s, args) => s.search.search(args),
  }),
  defineTool({
    name: "embed_status",
    title: "Embedding status",
    description:
      "The embedding queue and worker at a glance: entries, embedded, pending, processing, failed, the last error, throughput and the active model.",
    input: statusInput,
    annotations: { readOnlyHint: true },
    run: (s, { kb }) => s.index.status(kb),
  }),
];
