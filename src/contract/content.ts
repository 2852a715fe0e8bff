/** The pieces every route definition shares: JSON content of a schema, documented error answers. */
import { type ZodType, z } from "zod";
import { kbNameSchema } from "../model/fields.js";
import { errorBodySchema } from "../shared/schemas/error.js";

/** `content` for a JSON request or response of `schema`. */
export function json<T extends ZodType>(schema: T) {
  return { content: { "application/json": { schema } } } as const;
}

/** An optional JSON body of `schema` (none at all means `{}`). */
export function optionalJson<T extends ZodType>(schema: T) {
  return { ...json(schema), required: false as const };
}

/** A query that names at most one knowledge base. */
export const kbOnlyQuery = z.object({ kb: kbNameSchema.optional() });

/** The body of a control that takes no options: if any, an empty object. */
export const noOptions = z.strictObject({});

/** A documented JSON response. */
export function jsonResponse<T extends ZodType>(schema: T, description: string) {
  return { ...json(schema), description };
}

/** What each error status means, for the document. */
const ERROR_MEANING: Record<number, string> = {
  400: "Invalid request (`invalid_request`, `malformed_json`, …)",
  401: "Missing or invalid API token",
  403: "Foreign host or origin, or writes refused on a deployment without a token",
  404: "No such entry or route",
  409: "Conflict (the id exists, no worker, the worker is paused, …)",
  412: "`If-Match` names a version that is no longer current",
  413: "Request body too large",
  415: "Request body not declared `application/json`",
  426: "Not a WebSocket upgrade",
  503: "The embedder did not answer in time",
};

/** The error answers a route documents, each in the one error shape. */
export function errorResponses<const S extends number>(...statuses: S[]) {
  const error = (status: number) => jsonResponse(errorBodySchema, ERROR_MEANING[status] ?? "Error");
  return Object.fromEntries(statuses.map((s) => [s, error(s)])) as Record<
    S,
    ReturnType<typeof error>
  >;
}
