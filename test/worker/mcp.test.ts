import {
  createExecutionContext,
  runDurableObjectAlarm,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import {
  api,
  BASE_URL,
  controlEmbedder,
  embedderStats,
  queueRows,
  resetEmbedder,
  worker,
} from "./helpers";

type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** The worker's own fetch handler, as the SDK's transport calls it. */
const workerFetch: Fetch = (input, init) => exports.default.fetch(new Request(input, init));

/** The app with some settings changed (settings are read per env object). */
function envFetch(vars: Record<string, string>): Fetch {
  const changed = { ...env, ...vars };
  const app = createApp();
  return async (input, init) => {
    const ctx = createExecutionContext();
    const response = await app.fetch(new Request(input, init), changed, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
}

/** The app with an API token set. */
function tokenFetch(token: string): Fetch {
  return envFetch({ PYRITE_API_TOKEN: token });
}

async function connect(fetch: Fetch = workerFetch, headers?: Record<string, string>) {
  const client = new Client({ name: "pyrite-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${BASE_URL}/mcp`), {
    fetch,
    requestInit: headers ? { headers } : undefined,
  });
  await client.connect(transport);
  return client;
}

/** A tool's JSON answer (asserting it succeeded). */
async function call<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  const first = result.content[0];
  if (first?.type !== "text") throw new Error(`${name}: no text content`);
  const parsed = JSON.parse(first.text) as T;
  expect(result.structuredContent).toEqual(parsed);
  return parsed;
}

/** A tool's error (asserting it failed), in the API's error shape. */
async function callError(client: Client, name: string, args: Record<string, unknown>) {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError).toBe(true);
  const first = result.content[0];
  return first?.type === "text" ? first.text : "";
}

interface EntryRead {
  entry: { id: string; title: string; content_hash: string };
  embedding: { status: string; model?: string | null; stale?: boolean };
}

let client: Client;
beforeEach(async () => {
  await resetEmbedder();
  client = await connect();
});
afterEach(async () => {
  await client.close();
});

describe("MCP at /mcp (official SDK client over streamable HTTP)", () => {
  it("introduces itself and lists the six tools with their argument schemas", async () => {
    expect(client.getServerVersion()).toMatchObject({ name: "pyrite-edge" });
    expect(client.getServerCapabilities()?.tools).toBeDefined();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "create_entry",
      "delete_entry",
      "embed_status",
      "get_entry",
      "search",
      "update_entry",
    ]);
    const create = tools.find((t) => t.name === "create_entry");
    expect(create?.inputSchema.required).toEqual(expect.arrayContaining(["kb", "title"]));
    expect(Object.keys(create?.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(["kb", "title", "body", "tags", "id"]),
    );
    expect(create?.annotations?.readOnlyHint).toBe(false);
    const get = tools.find((t) => t.name === "get_entry");
    expect(get?.annotations?.readOnlyHint).toBe(true);
    await client.ping();
  });

  it("create_entry queues without embedding; the worker embeds it afterwards", async () => {
    const created = await call<{ entry: { id: string }; embedding: { status: string } }>(
      client,
      "create_entry",
      { kb: "mcp", title: "Queue depth over time", body: "The worker drains the queue." },
    );
    expect(created).toMatchObject({
      entry: { id: "queue-depth-over-time" },
      embedding: { status: "queued" },
    });
    // Request/response only: the write queued a row and nothing embedded it.
    expect(await queueRows()).toEqual([
      expect.objectContaining({
        kb_name: "mcp",
        entry_id: "queue-depth-over-time",
        status: "pending",
      }),
    ]);
    expect((await embedderStats()).calls).toBe(0);
    const before = await call<{ pending: number; embedded: number }>(client, "embed_status", {
      kb: "mcp",
    });
    expect(before).toMatchObject({ pending: 1, embedded: 0 });

    await runDurableObjectAlarm(worker());

    const read = await call<EntryRead>(client, "get_entry", {
      kb: "mcp",
      id: "queue-depth-over-time",
    });
    expect(read.embedding).toMatchObject({ status: "done", stale: false });
    expect(read.embedding.model).toBeTruthy();
    const after = await call<{ entries: number; pending: number; embedded: number }>(
      client,
      "embed_status",
      { kb: "mcp" },
    );
    expect(after).toMatchObject({ entries: 1, pending: 0, embedded: 1 });
  });

  it("update_entry re-queues a changed text only, and the new text is embedded", async () => {
    await call(client, "create_entry", { kb: "upd", title: "Lease", body: "first text" });
    await runDurableObjectAlarm(worker());
    const same = await call<{ embedding: { status: string } }>(client, "update_entry", {
      kb: "upd",
      id: "lease",
      tags: ["ops"],
    });
    expect(same.embedding.status).toBe("unchanged");
    const changed = await call<{ entry: { content_hash: string }; embedding: { status: string } }>(
      client,
      "update_entry",
      { kb: "upd", id: "lease", body: "second text about expiring leases" },
    );
    expect(changed.embedding.status).toBe("queued");
    expect(
      (await call<EntryRead>(client, "get_entry", { kb: "upd", id: "lease" })).embedding,
    ).toMatchObject({ status: "pending" });
    await runDurableObjectAlarm(worker());
    const read = await call<EntryRead>(client, "get_entry", { kb: "upd", id: "lease" });
    expect(read.entry.content_hash).toBe(changed.entry.content_hash);
    expect(read.embedding).toMatchObject({ status: "done", stale: false });
    // Arguments are validated like REST bodies.
    expect(await callError(client, "update_entry", { kb: "upd", id: "lease" })).toMatch(
      /at least one field/,
    );
  });

  it("update_entry keeps concurrent changes, and with if_match refuses a stale version", async () => {
    await call(client, "create_entry", { kb: "occ", title: "Shared note", tags: ["a"] });
    type Read = { entry: { tags: string[]; importance: number; version: number; etag: string } };
    const read = await call<Read>(client, "get_entry", { kb: "occ", id: "shared-note" });
    // Two clients change different fields at once: both changes stay.
    await Promise.all([
      call(client, "update_entry", { kb: "occ", id: "shared-note", tags: ["b"] }),
      call(client, "update_entry", { kb: "occ", id: "shared-note", importance: 9 }),
    ]);
    const both = await call<Read>(client, "get_entry", { kb: "occ", id: "shared-note" });
    expect(both.entry).toMatchObject({ tags: ["b"], importance: 9, version: 3 });
    // The etag read before those writes is stale now.
    const stale = await callError(client, "update_entry", {
      kb: "occ",
      id: "shared-note",
      importance: 1,
      if_match: read.entry.etag,
    });
    expect(JSON.parse(stale)).toMatchObject({
      error: { code: "precondition_failed", details: { version: 3 } },
    });
    const fresh = await call<Read>(client, "update_entry", {
      kb: "occ",
      id: "shared-note",
      importance: 1,
      if_match: both.entry.etag,
    });
    expect(fresh.entry).toMatchObject({ tags: ["b"], importance: 1, version: 4 });
  });

  it("search finds entries by keyword, semantic and hybrid modes", async () => {
    const body = "Ranks from several lists are fused: each adds one over k plus its rank.";
    await call(client, "create_entry", { kb: "find", title: "Reciprocal rank fusion", body });
    await call(client, "create_entry", { kb: "find", title: "Durable object alarms" });
    await runDurableObjectAlarm(worker());
    for (const mode of ["keyword", "semantic", "hybrid"]) {
      const found = await call<{
        mode: string;
        results: { id: string; passage?: { text: string; heading_path: string[] } | null }[];
        semantic: boolean;
      }>(client, "search", { q: "rank fusion", kb: "find", mode, limit: 5 });
      expect(found.mode).toBe(mode);
      expect(found.results[0]?.id).toBe("reciprocal-rank-fusion");
      // Semantic and hybrid results carry the passage that matched.
      if (mode !== "keyword") {
        expect(found.results[0]?.passage).toEqual({
          text: body,
          heading_path: [],
          start: 0,
          end: body.length,
        });
      }
    }
    // The REST route and the tool are the same service.
    const rest = await (await api("/api/search?q=alarms&kb=find")).json();
    expect(await call(client, "search", { q: "alarms", kb: "find", mode: "keyword" })).toEqual(
      rest,
    );
  });

  it("search (hybrid by default) answers from keywords when the embedder is frozen", async () => {
    await call(client, "create_entry", { kb: "frozen", title: "Keyword still works" });
    const quick = await connect(envFetch({ SEARCH_EMBED_TIMEOUT_MS: "300" }));
    await controlEmbedder({ freeze: true });
    const found = await call<{
      mode: string;
      results: { id: string }[];
      semantic: boolean;
      degraded: { code: string } | null;
    }>(quick, "search", { q: "keyword", kb: "frozen" });
    expect(found.mode).toBe("hybrid");
    expect(found.results.map((r) => r.id)).toEqual(["keyword-still-works"]);
    expect(found.semantic).toBe(false);
    expect(found.degraded?.code).toBe("embedder_unavailable");
    await quick.close();
  });

  it("delete_entry removes the entry, its queue row and vector; errors keep the API's shape", async () => {
    await call(client, "create_entry", { kb: "del", title: "Short lived" });
    await runDurableObjectAlarm(worker());
    expect(await call(client, "delete_entry", { kb: "del", id: "short-lived" })).toEqual({
      deleted: true,
      kb_name: "del",
      id: "short-lived",
    });
    expect((await queueRows()).filter((r) => r.kb_name === "del")).toEqual([]);
    const missing = JSON.parse(
      await callError(client, "get_entry", { kb: "del", id: "short-lived" }),
    );
    expect(missing).toEqual({
      error: { code: "entry_not_found", message: "no entry 'short-lived' in kb 'del'" },
    });
    await call(client, "create_entry", { kb: "dup", title: "Twice" });
    const duplicate = await callError(client, "create_entry", { kb: "dup", title: "Twice" });
    expect(JSON.parse(duplicate)).toMatchObject({ error: { code: "entry_exists" } });
    expect(await callError(client, "create_entry", { kb: "Bad KB!", title: "x" })).toMatch(/kb/);
  });

  it("answers only POST: GET and DELETE are 405", async () => {
    for (const method of ["GET", "DELETE"]) {
      const res = await api("/mcp", { method, headers: { accept: "text/event-stream" } });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
  });
});

describe("MCP with an API token", () => {
  it("refuses a client without the token (401) and serves one with it", async () => {
    const fetch = tokenFetch("s3cret");
    await expect(connect(fetch)).rejects.toMatchObject({ code: 401 });
    const raw = await fetch(`${BASE_URL}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ error: { code: "unauthorized" } });
    await expect(connect(fetch, { Authorization: "Bearer wrong" })).rejects.toMatchObject({
      code: 401,
    });

    const authed = await connect(fetch, { Authorization: "Bearer s3cret" });
    const created = await call<{ embedding: { status: string } }>(authed, "create_entry", {
      kb: "tok",
      title: "Behind the token",
    });
    expect(created.embedding.status).toBe("queued");
    await authed.close();
  });
});

describe("DNS rebinding protection (the conformance suite's dns-rebinding-protection scenario)", () => {
  /** Its probe: an initialize whose Host and Origin both name `host`, through the worker entry. */
  function probe(host: string, message: Record<string, unknown>) {
    return workerFetch(`http://${host}/mcp`, {
      method: "POST",
      headers: {
        Host: host,
        Origin: `http://${host}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
      },
      body: JSON.stringify(message),
    });
  }
  const initialize = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "conformance-dns-rebinding-test", version: "1.0.0" },
    },
  };

  it("a non-localhost Host/Origin is refused with a 4xx", async () => {
    for (const host of ["evil.example.com", `evil.example.com:${new URL(BASE_URL).port}`]) {
      const res = await probe(host, initialize);
      expect(res.status, host).toBeGreaterThanOrEqual(400);
      expect(res.status, host).toBeLessThan(500);
    }
  });

  it("a localhost Host/Origin is accepted, and so is the initialized notification", async () => {
    for (const host of [new URL(BASE_URL).host, "127.0.0.1:8787", "[::1]:8787"]) {
      const res = await probe(host, initialize);
      expect(res.status, host).toBe(200);
      expect(await res.json()).toMatchObject({ result: { serverInfo: { name: "pyrite-edge" } } });
      const note = await probe(host, { jsonrpc: "2.0", method: "notifications/initialized" });
      expect(note.status, host).toBeGreaterThanOrEqual(200);
      expect(note.status, host).toBeLessThan(300);
    }
  });

  it("a localhost Host with a foreign Origin (a page posting to the local server) is refused", async () => {
    const res = await workerFetch(`${BASE_URL}/mcp`, {
      method: "POST",
      headers: {
        Origin: "https://evil.example.com",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify(initialize),
    });
    expect(res.status).toBe(403);
  });
});
