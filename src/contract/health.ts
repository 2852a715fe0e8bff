/** The contract of `GET /health`. */
import { createRoute } from "@hono/zod-openapi";
import { healthSchema } from "../shared/schemas/health.js";
import { jsonResponse } from "./content.js";

export const health = createRoute({
  method: "get",
  path: "/",
  summary: "Liveness",
  description: "Liveness and a D1 round trip; open even when a token is set.",
  responses: { 200: jsonResponse(healthSchema, "Up") },
});
