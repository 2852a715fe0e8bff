/**
 * What every router shares: request validation that fails with the API's one error shape, and
 * the handling of a body that may be left out.
 */
import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { invalidRequest } from "../errors";

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

/**
 * A JSON body that may be left out: `curl -X POST` with no data, or an empty body declared JSON,
 * means `{}`, validated (defaults applied) like any other body. Runs before the validator.
 */
const optionalBody: MiddlewareHandler<AppEnv> = async (c, next) => {
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

/** `route` with `optionalBody` in front of its validators. */
export function withOptionalBody<R extends RouteConfig>(route: R) {
  return { ...route, middleware: optionalBody };
}
