/**
 * Request bodies are JSON, declared as such. A browser can send `text/plain`, form or multipart
 * bodies cross-origin without a CORS preflight; refusing every other declared type (415) means no
 * such "simple" request can change state, even where the Origin check does not apply.
 *
 * The rule, for any request that may change state: a declared `Content-Type` must be
 * `application/json` (parameters such as `charset` allowed), whatever the body's length; a request
 * that declares none must have no body (none at all, or `Content-Length: 0`), which is how
 * `curl -X POST` and fetch send the bodiless POSTs (pause, resume, …).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { changesState } from "./request-kind";

/** The media type of a Content-Type value, lowercased and without parameters. */
function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

/** Whether the request certainly carries no body. */
function hasNoBody(request: Request): boolean {
  return request.body === null || request.headers.get("Content-Length")?.trim() === "0";
}

/** Refuses (415) a state-changing request whose body is not declared `application/json`. */
export function requireJsonBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const request = c.req.raw;
    if (changesState(request)) {
      const declared = request.headers.get("Content-Type");
      if (declared === null ? !hasNoBody(request) : mediaType(declared) !== "application/json") {
        throw new ApiError(
          415,
          "unsupported_media_type",
          "request bodies must be sent as Content-Type: application/json",
          declared === null ? undefined : { content_type: declared },
        );
      }
    }
    await next();
  };
}
