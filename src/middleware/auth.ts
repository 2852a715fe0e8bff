/**
 * Optional bearer-token authentication. When `PYRITE_API_TOKEN` is set, requests must present it
 * as `Authorization: Bearer …`; WebSocket upgrades (browsers can't set headers) may instead offer
 * it as a `Sec-WebSocket-Protocol` entry `bearer.<token>` beside `pyrite` (the one the handshake
 * answers with, see `WS_PROTOCOL`), or as `?token=`. Plain HTTP requests get neither fallback:
 * a token in a URL ends up in logs.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";

const encoder = new TextEncoder();

/** Compares two strings in time independent of where they differ. */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  // Hash both so lengths are equal and the comparison leaks nothing about the token's length.
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  const x = new Uint8Array(ha);
  const y = new Uint8Array(hb);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The token a request presents, from whichever place its kind of client can use. */
export function presentedToken(request: Request): string | undefined {
  const header = request.headers.get("Authorization");
  const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  if (bearer) return bearer;
  if (request.headers.get("Upgrade")?.toLowerCase() === "websocket") {
    const protocols = request.headers.get("Sec-WebSocket-Protocol") ?? "";
    for (const p of protocols.split(",")) {
      const trimmed = p.trim();
      if (trimmed.startsWith("bearer.")) return trimmed.slice("bearer.".length);
    }
    const query = new URL(request.url).searchParams.get("token");
    if (query) return query;
  }
  return undefined;
}

/** Rejects requests without the configured token (401, nothing else runs). */
export function requireToken(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = c.var.settings.apiToken;
    if (expected) {
      const token = presentedToken(c.req.raw);
      if (token === undefined || !(await constantTimeEqual(token, expected))) {
        throw new ApiError(401, "unauthorized", "missing or invalid API token");
      }
    }
    await next();
  };
}
