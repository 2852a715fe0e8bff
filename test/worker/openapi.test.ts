/**
 * The API is one contract: `/openapi.json` documents every `/api` route the app registers, each
 * with the schemas of its request and of its answer, and `/docs` serves the page that renders it.
 * The route list comes from the app itself, so a route added without a definition fails here.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { api } from "./helpers";

interface Operation {
  parameters?: { in: string; name: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

/** Every `/api` route the app answers, as `METHOD /path/{param}`. */
function registeredApiRoutes(): string[] {
  const routes = createApp()
    .routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/api/"))
    .map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, "{$1}")}`);
  return [...new Set(routes)].sort();
}

async function document(): Promise<Document> {
  const res = await api("/openapi.json");
  expect(res.status).toBe(200);
  return res.json();
}

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3 document of exactly the app's /api routes", async () => {
    const doc = await document();
    expect(doc.openapi).toMatch(/^3\./);
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/api/"))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const registered = registeredApiRoutes();
    // The app's own list, not a copy of it: the entries, batch, search and index routes at least.
    expect(registered.length).toBeGreaterThanOrEqual(12);
    expect(registered).toContain("PATCH /api/entries/{id}");
    expect(registered).toContain("POST /api/entries/batch");
    expect(documented).toEqual(registered);
  });

  it("gives every /api route a request schema and a JSON schema for its success and errors", async () => {
    const doc = await document();
    for (const route of registeredApiRoutes()) {
      const [method = "", path = ""] = route.split(" ");
      const op = doc.paths[path]?.[method.toLowerCase()];
      expect(op, route).toBeDefined();
      const params = op?.parameters ?? [];
      const body = op?.requestBody?.content?.["application/json"]?.schema;
      expect(params.length > 0 || body !== undefined, `${route}: request schema`).toBe(true);
      for (const p of params) expect(p.schema, `${route}: ${p.in} ${p.name}`).toBeDefined();
      if (path.includes("{id}"))
        expect(params.map((p) => `${p.in} ${p.name}`)).toContain("path id");
      const responses = op?.responses ?? {};
      const success = responses["200"] ?? responses["201"];
      expect(success?.content?.["application/json"]?.schema, `${route}: response`).toBeDefined();
      expect(responses["400"]?.content?.["application/json"]?.schema, `${route}: 400`).toEqual({
        $ref: "#/components/schemas/ErrorBody",
      });
    }
  });

  it("names the shared shapes as components, with their fields", async () => {
    const { components } = await document();
    const schemas = components?.schemas ?? {};
    for (const name of ["Entry", "EntryList", "EmbedStatus", "SearchResponse", "BulkWriteResult"]) {
      expect(Object.keys(schemas), name).toContain(name);
    }
    expect(schemas.Entry).toMatchObject({
      type: "object",
      properties: { etag: { type: "string" }, version: { type: "integer" } },
    });
  });

  it("is open without the token, like /health", async () => {
    const res = await api("/openapi.json", {}, { ...env, PYRITE_API_TOKEN: "secret" });
    expect(res.status).toBe(200);
  });
});

describe("GET /docs", () => {
  it("serves the interactive reference page pointing at the document", async () => {
    const res = await api("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("/openapi.json");
    expect(html).toMatch(/<script/i);
  });
});
