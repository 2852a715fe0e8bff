/**
 * What every `/api` route definition shares: a router whose request validation fails with the
 * API's one error shape, the JSON content of a schema, the documented error answers, and the
 * handling of a body that may be left out.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { ZodType } from "zod";
import type { AppEnv } from "../app-env";
import { invalidRequest } from "../errors";
import { errorBodySchema } from "../shared/schemas/error";

/** The result a validation hook sees: the part of the request checked, and zod's verdict. */
type ValidationResult = {
  target: string;
  success: boolean;
  error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] };
};

/** A validation hook that throws the API's 400 (`invalid_request`), naming the part as `where`. */
function throwInvalid(where?: string) {
  return (result: ValidationResult): undefined => {
    if (!result.success && result.error) throw invalidRequest(result.error, where ?? result.target);
    return undefined;
  };
}

/**
 * A validation hook for JSON bodies that the route's service or an empty body reads as `body`
 * (`POST /api/entries/batch`, the `/api/index/embed*` controls): their 400s say "body".
 */
export const bodyHook = throwInvalid("body");

/** A router for `/api` routes: every request part is validated before the handler runs. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: throwInvalid() });
}

/** `content` for a JSON request or response of `schema`. */
export function json<T extends ZodType>(schema: T) {
  return { content: { "application/json": { schema } } } as const;
}

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

/**
 * A JSON body that may be left out: `curl -X POST` with no data, or an empty body declared JSON,
 * means `{}`, validated (defaults applied) like any other body. Runs before the validator.
 */
export const optionalBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const text = await c.req.text();
  if (text.trim() === "") {
    const headers = new Headers(c.req.raw.headers);
    headers.set("Content-Type", "application/json");
    headers.delete("Content-Length");
    c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers, body: "{}" });
    c.req.bodyCache = {};
  }
  await next();
};
