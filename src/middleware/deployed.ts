/**
 * A deployed worker (`PYRITE_ENV=production`, set by `wrangler deploy --env production`) is on the
 * internet: without `PYRITE_API_TOKEN` it would take writes from anyone. It refuses them instead
 * (403, naming the fix) and says so in the log; reads stay open, as they are locally.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { changesState } from "./request-kind";

/** The fix, in the answer and in the log. */
const HOW_TO_FIX =
  "set one with `npx wrangler secret put PYRITE_API_TOKEN --env production` and send it as Authorization: Bearer …";

// Once per isolate: a flood of refused writes must not become a flood of identical log lines.
let warned = false;

/** Refuses state-changing requests on a deployed worker that has no API token configured. */
export function refuseOpenWrites(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { deployed, apiToken } = c.var.settings;
    if (deployed && !apiToken && changesState(c.req.raw)) {
      if (!warned) {
        warned = true;
        console.error(
          `pyrite: DEPLOYED WITHOUT PYRITE_API_TOKEN: every write is refused until a token is set; ${HOW_TO_FIX}`,
        );
      }
      throw new ApiError(
        403,
        "token_not_configured",
        `this deployment has no PYRITE_API_TOKEN, so it refuses writes; ${HOW_TO_FIX}`,
      );
    }
    await next();
  };
}
