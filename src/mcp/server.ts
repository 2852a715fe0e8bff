/**
 * The MCP server (official SDK): one `McpServer` per request with the tools bound to that
 * request's services. Stateless, so any instance of the worker can answer any request.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { toApiError } from "../errors";
import { type ToolServices, tools } from "./tools";

/** How the server introduces itself in `initialize`. */
const SERVER_INFO = { name: "pyrite-edge", version: "0.1.0" } as const;

const INSTRUCTIONS =
  "Knowledge-base entries (markdown notes grouped in named knowledge bases). Writes answer at " +
  "once and queue the entry's embedding; a background worker embeds it. Use embed_status or " +
  "get_entry to see whether an entry is embedded yet.";

/** The JSON a tool answers, as text (for every client) and as structured content. */
function success(value: unknown): CallToolResult {
  const structured =
    typeof value === "object" && value !== null ? (value as Record<string, unknown>) : { value };
  return {
    content: [{ type: "text", text: JSON.stringify(value, null, 2) }],
    structuredContent: structured,
  };
}

/** A failed call in the REST API's one error shape, as a tool error the model can read. */
function failure(err: unknown): CallToolResult {
  const apiError = toApiError(err);
  if (apiError.status >= 500) console.error("mcp tool failed", err);
  return {
    content: [{ type: "text", text: JSON.stringify(apiError.toJSON()) }],
    structuredContent: { ...apiError.toJSON() },
    isError: true,
  };
}

/** Builds a server whose tools call `services`. */
export function createMcpServer(services: ToolServices): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    instructions: INSTRUCTIONS,
  });
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (args: unknown) => {
        try {
          return success(await tool.run(services, args));
        } catch (err) {
          return failure(err);
        }
      },
    );
  }
  return server;
}
