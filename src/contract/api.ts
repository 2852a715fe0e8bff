/**
 * The API as one contract: where each group of routes is mounted, and the type of the whole,
 * built from the same route definitions (`createRoute`, zod schemas) the worker serves and
 * documents. The typed client is built on it, so the CLI, the benchmark and the tests call the
 * API with the request and response types the worker checks, on either runtime.
 */
import type { RouteConfig, RouteConfigToTypedResponse, RouteHandler } from "@hono/zod-openapi";
import type { Context, Env, Hono } from "hono";
import type { MergePath, ToSchema } from "hono/types";
import type * as bulk from "./bulk.js";
import type * as entries from "./entries.js";
import type * as health from "./health.js";
import type * as index from "./index-embed.js";
import type * as models from "./index-models.js";
import type * as search from "./search.js";
import type * as ws from "./ws.js";

/** Where each group of routes is mounted (the app mounts them here). */
export const MOUNTS = {
  health: "/health",
  bulk: "/api/entries/batch",
  entries: "/api/entries",
  search: "/api/search",
  index: "/api/index",
  ws: "/ws",
} as const;

/** OpenAPI's `/{id}` as Hono's `/:id`. */
type HonoPath<P extends string> = P extends `${infer Start}/{${infer Param}}${infer Rest}`
  ? `${Start}/:${Param}${HonoPath<Rest>}`
  : P;

/** The validated input of a route, as its handler sees it. */
type InputOf<R extends RouteConfig> =
  Parameters<RouteHandler<R>>[0] extends Context<Env, string, infer I> ? I : never;

/** One route's entry in Hono's schema (what `hc` reads), mounted at `Base`. */
type RouteSchema<Base extends string, R extends RouteConfig> = ToSchema<
  R["method"],
  MergePath<Base, HonoPath<R["path"]>>,
  InputOf<R>,
  RouteConfigToTypedResponse<R>
>;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (
  i: infer I,
) => void
  ? I
  : never;

/** Every route of a contract module (its exported route definitions) mounted at `Base`. */
type Mounted<Base extends string, Module> = UnionToIntersection<
  {
    [K in keyof Module]: Module[K] extends RouteConfig ? RouteSchema<Base, Module[K]> : never;
  }[keyof Module]
>;

/** The schema of the whole API. */
export type ApiSchema = Mounted<typeof MOUNTS.health, typeof health> &
  Mounted<typeof MOUNTS.bulk, typeof bulk> &
  Mounted<typeof MOUNTS.entries, typeof entries> &
  Mounted<typeof MOUNTS.search, typeof search> &
  Mounted<typeof MOUNTS.index, typeof index> &
  Mounted<typeof MOUNTS.index, typeof models> &
  Mounted<typeof MOUNTS.ws, typeof ws>;

/** The API as a Hono app type, for `hc`. */
export type Api = Hono<Env, ApiSchema>;
