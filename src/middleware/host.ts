/**
 * DNS rebinding protection: a server answers only the Host names it is known by. A page on
 * `evil.example` whose name is re-pointed at 127.0.0.1 reaches a loopback server as a same-origin
 * page (no CORS applies, its own Origin is "ours"), but its requests still say
 * `Host: evil.example`. Loopback names (`localhost`, `127.0.0.1`, `[::1]`, any port) are always
 * answered; `ALLOWED_HOSTS` adds names (`*`: any, which is how a deploy behind Cloudflare's routes
 * is configured). Both the `Host` header and the request URL are checked: a local runtime may take
 * the URL from elsewhere (Miniflare honours an `MF-Original-URL` header).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Settings } from "../config";
import { ApiError } from "../errors";

/** The names a loopback server is reached by. */
const LOOPBACK_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];

/** The hostname of a `Host` header value (port dropped, lowercased); undefined if malformed. */
function hostnameOf(host: string): string | undefined {
  // Anything beyond host[:port] (a path, credentials) is not a Host header.
  if (/[/?#@\\\s]/.test(host)) return undefined;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

/** Whether a hostname is one this server answers. */
function isAllowedHost(hostname: string, settings: Pick<Settings, "allowedHosts">): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  return (
    LOOPBACK_HOSTS.includes(name) ||
    settings.allowedHosts.includes("*") ||
    settings.allowedHosts.includes(name)
  );
}

/** Refuses (403) a request whose Host header or URL names a host this server does not answer. */
export function requireAllowedHost(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const request = c.req.raw;
    const header = request.headers.get("Host");
    const names = [new URL(request.url).hostname];
    if (header !== null) names.push(hostnameOf(header) ?? header);
    for (const name of names) {
      if (!isAllowedHost(name, c.var.settings)) {
        throw new ApiError(
          403,
          "forbidden_host",
          `this server does not answer to host ${JSON.stringify(name)}; add it to ALLOWED_HOSTS to allow it`,
        );
      }
    }
    await next();
  };
}
