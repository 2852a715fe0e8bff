/**
 * `/mcp`: the Model Context Protocol over streamable HTTP, stateless with JSON responses. Each POST
 * carries JSON-RPC messages and is answered in full; there is no server-initiated stream (GET) and
 * no session to end (DELETE), so both are 405 as the transport specification allows. DNS rebinding
 * and foreign pages are refused before this by the app's Host and Origin checks, which is what the
 * transport's own `allowedHosts`/`allowedOrigins` options would do, once for every route.
 */
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { createMcpServer } from "../mcp/server";
import { limits } from "../model/limits";

function methodNotAllowed(): Response {
  return new Response(
    JSON.stringify({
      jsonrpc: "2.0",
      error: { code: -32000, message: "Method not allowed: this endpoint is stateless; POST only" },
      id: null,
    }),
    { status: 405, headers: { Allow: "POST", "content-type": "application/json" } },
  );
}

export const mcpRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const server = createMcpServer(c.var);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: limits.requestBytes,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      // The JSON response is complete here; nothing outlives the request.
      await server.close();
    }
  })
  .get("/", methodNotAllowed)
  .delete("/", methodNotAllowed);
