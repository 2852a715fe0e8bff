import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createEntry, queueRows, send } from "./helpers";

describe("POST /api/entries", () => {
  it("creates an entry with a slug id and queues its embedding in the same write", async () => {
    const res = await send("POST", "/api/entries", {
      kb: "notes",
      title: "Hello, World: Part 2!",
      body: "Some body text.",
      tags: ["a", "b"],
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      entry: Record<string, unknown>;
      embedding: { status: string };
    };
    expect(body.entry).toMatchObject({
      kb_name: "notes",
      id: "hello-world-part-2",
      title: "Hello, World: Part 2!",
      tags: ["a", "b"],
      importance: 5,
      entry_type: "note",
    });
    expect(body.embedding.status).toBe("queued");
    const rows = await queueRows();
    expect(rows.filter((r) => r.entry_id === "hello-world-part-2")).toMatchObject([
      { status: "pending", attempts: 0, content_hash: body.entry.content_hash },
    ]);
  });

  it("rejects a duplicate id with 409 and changes nothing", async () => {
    await createEntry({ kb: "dup", title: "Same", body: "first" });
    const res = await send("POST", "/api/entries", { kb: "dup", title: "Same", body: "second" });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: "entry_exists" } });
    const got = (await (await api("/api/entries/same?kb=dup")).json()) as {
      entry: { body: string };
    };
    expect(got.entry.body).toBe("first");
  });

  it("rejects malformed JSON with 400 in the error shape", async () => {
    const res = await send("POST", "/api/entries", '{"kb": "x", "title": ');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "malformed_json" } });
  });

  it("rejects an invalid kb name without writing", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM entries").first<{ n: number }>();
    const res = await send("POST", "/api/entries", { kb: "../etc", title: "x" });
    expect(res.status).toBe(400);
    const after = await env.DB.prepare("SELECT count(*) AS n FROM entries").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });
});
