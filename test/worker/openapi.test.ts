/**
 * The API is one contract: `/openapi.json` documents every `/api` route the app registers, each
 * with the schemas of its request and of its answer, and `/docs` serves the page that renders it.
 * The route list comes from the app itself, so a route added without a definition fails here.
 */
import { env } from "cloudflare:workers";
import type { Hono } from "hono";
import { describe, expect, expectTypeOf, it } from "vitest";
import { type AppType, createApp } from "../../src/app";
import type { Api } from "../../src/contract/api";
import { ApiCallError, ok } from "../../src/contract/client";
import { api, appClient } from "./helpers";

/** The routes, with their inputs and answers, that a Hono app type carries. */
type SchemaOf<T> = T extends Hono<infer _E, infer S, infer _B> ? S : never;

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

describe("the typed client", () => {
  it("is the app's contract: every route the client knows, the app serves with the same types", () => {
    // Checked by the type checker (`npm run check`): a route in the contract that the app does
    // not mount, or mounts with other types, fails here.
    expectTypeOf<SchemaOf<AppType>>().toExtend<SchemaOf<Api>>();
  });

  it("calls the app with typed requests and reads typed answers", async () => {
    const client = appClient();
    const created = await ok(
      client.api.entries.$post({ json: { kb: "typed", title: "Typed Client", body: "hello" } }),
    );
    expect(created.entry.id).toBe("typed-client");
    const read = await ok(
      client.api.entries[":id"].$get({ param: { id: "typed-client" }, query: { kb: "typed" } }),
    );
    expect(read.entry.etag).toBe(created.entry.etag);
    const list = await ok(client.api.entries.$get({ query: { kb: "typed" } }));
    expect(list.entries.map((e) => e.id)).toEqual(["typed-client"]);
  });

  it("turns a refusal into an ApiCallError with the API's code and status", async () => {
    const missing = ok(
      appClient().api.entries[":id"].$get({ param: { id: "nothing" }, query: { kb: "typed" } }),
    );
    await expect(missing).rejects.toBeInstanceOf(ApiCallError);
    await expect(missing).rejects.toMatchObject({ status: 404, code: "entry_not_found" });
  });
});
