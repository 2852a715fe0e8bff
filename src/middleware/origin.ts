/**
 * The local server trusts only its own origin. A browser attaches `Origin` to every cross-origin
 * request, "simple" ones included (which skip the CORS preflight): so a request that may change
 * state, or opens a WebSocket, and names an origin other than the server's own or one listed in
 * `CORS_ORIGINS` is refused (403) before anything runs. Clients that are not browsers (the CLI,
 * curl, MCP clients) send no `Origin` and are not affected.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Settings } from "../config";
import { ApiError } from "../errors";
import { changesState, isWebSocketUpgrade } from "./request-kind";

/**
 * The one answer to "is this origin ours": the request URL's own origin, or one listed in
 * `CORS_ORIGINS` (exactly, as CORS compares them; `*` lists every origin).
 */
function isTrustedOrigin(
  origin: string,
  requestUrl: string,
  settings: Pick<Settings, "corsOrigins">,
): boolean {
  if (origin === new URL(requestUrl).origin) return true;
  return settings.corsOrigins.includes("*") || settings.corsOrigins.includes(origin);
}

/** Refuses state-changing requests and WebSocket upgrades from a foreign `Origin` (403). */
export function requireTrustedOrigin(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const request = c.req.raw;
    const origin = request.headers.get("Origin");
    if (origin !== null && (changesState(request) || isWebSocketUpgrade(request))) {
      if (!isTrustedOrigin(origin, request.url, c.var.settings)) {
        throw new ApiError(
          403,
          "forbidden_origin",
          `requests from origin ${JSON.stringify(origin)} may not change state here; list it in CORS_ORIGINS to allow it`,
        );
      }
    }
    await next();
  };
}
