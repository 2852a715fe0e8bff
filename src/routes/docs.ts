/**
 * `GET /openapi.json`: the OpenAPI 3 document, generated from the same zod schemas that validate
 * each request and type each answer; `GET /docs`: interactive documentation of it (Scalar, whose
 * page loads its script from a CDN, so nothing of it is bundled into the worker).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import type { AppEnv } from "../app-env";

/** The document's path. */
const OPENAPI_PATH = "/openapi.json";

/** The document's header. */
const INFO = {
  title: "pyrite-edge",
  version: "0.1.0",
  description:
    'Knowledge-base entries whose embeddings stay fresh without slowing writes. Errors always have one shape, `{"error": {"code", "message", "details"?}}`. When `PYRITE_API_TOKEN` is set, `/api/*`, `/ws` and `/mcp` need `Authorization: Bearer <token>`.',
};

/** The document and the docs page for `app`'s routes. */
export function docsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "`PYRITE_API_TOKEN`, where one is set",
  });
  return new Hono<AppEnv>()
    .get(OPENAPI_PATH, (c) =>
      c.json(
        app.getOpenAPIDocument({
          openapi: "3.0.3",
          info: INFO,
          security: [{ bearer: [] }],
        }),
      ),
    )
    .get("/docs", Scalar({ url: OPENAPI_PATH, pageTitle: "pyrite-edge API" }));
}
