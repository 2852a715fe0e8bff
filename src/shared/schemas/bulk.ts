/** The response shape of `POST /api/entries/batch`. */
import { z } from "zod";

/** What a batch did. `ids` follow the request's order. */
export const bulkWriteResultSchema = z
  .object({
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    ids: z.array(z.string()),
    queued: z.number().int().meta({
      description: "Entries whose embedded text this request queued (new, or text changed)",
    }),
    embed_mode: z.enum(["background", "sync", "off"]).meta({
      description:
        "How the queued entries get embedded: `background` (the worker was kicked once), `sync` (some due rows embedded before answering; `embedded` says how many, the rest stay queued for `POST /api/index/embed`), or `off` (nothing queued)",
    }),
    embedded: z.number().int(),
  })
  .meta({ id: "BulkWriteResult" });
