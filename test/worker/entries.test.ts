import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EntryList, EntryRead, EntryWriteResult } from "../../src/shared/api-types";
import { api, BASE_URL, createEntry, queueRows, send } from "./helpers";

describe("POST /api/entries", () => {
  it("creates an entry with a slug id and queues its embedding in the same write", async () => {
    const res = await send("POST", "/api/entries", {
      kb: "notes",
      title: "Hello, World: Part 2!",
      body: "Some body text.",
      tags: ["a", "b"],
    });
    expect(res.status).toBe(201);
    const body = await res.json<EntryWriteResult>();
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
    const got = await (await api("/api/entries/same?kb=dup")).json<EntryRead>();
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

describe("ids", () => {
  it.each([
    ["Hello World", "hello-world"],
    ["  Leading & trailing!!  ", "leading-trailing"],
    ["C++ / Rust: a comparison", "c-rust-a-comparison"],
    ["Ünïcödé Title", "n-c-d-title"],
  ])("slugs %j to %j", async (title, id) => {
    const { entry } = await createEntry({ kb: "slugs", title });
    expect(entry.id).toBe(id);
  });

  it("an explicit id wins over the slug", async () => {
    const { entry } = await createEntry({ kb: "slugs", title: "Whatever", id: "My_ID.v2" });
    expect(entry.id).toBe("My_ID.v2");
  });

  it("a title with nothing to slug needs an explicit id", async () => {
    const res = await send("POST", "/api/entries", { kb: "slugs", title: "!!!" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_id" } });
  });

  it("a very long title yields an addressable id of at most 200 characters", async () => {
    const { entry } = await createEntry({ kb: "slugs", title: `${"word ".repeat(150)}end` });
    expect(entry.id.length).toBeLessThanOrEqual(200);
    expect(entry.id.endsWith("-")).toBe(false);
    expect((await api(`/api/entries/${entry.id}?kb=slugs`)).status).toBe(200);
  });

  it("the same id may exist in two KBs", async () => {
    await createEntry({ kb: "kb-one", title: "Shared" });
    await createEntry({ kb: "kb-two", title: "Shared" });
  });
});

describe("GET /api/entries", () => {
  it("lists a KB in id order with limit/offset and the total", async () => {
    for (const t of ["c", "a", "b"]) await createEntry({ kb: "listing", title: t });
    const res = await api("/api/entries?kb=listing&limit=2&offset=1");
    expect(res.status).toBe(200);
    const body = await res.json<EntryList>();
    expect(body.total).toBe(3);
    expect(body.entries.map((e) => e.id)).toEqual(["b", "c"]);
  });

  it.each(["", "?kb=", "?kb=UPPER", "?kb=ok&limit=0", "?kb=ok&limit=501", "?kb=ok&offset=-1"])(
    "rejects %j with 400",
    async (query) => {
      const res = await api(`/api/entries${query}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
    },
  );
});

describe("GET|PUT|PATCH|DELETE /api/entries/:id", () => {
  it("reads an entry with its embedding state", async () => {
    await createEntry({ kb: "crud", title: "Readable", metadata: { source: "x", n: 1 } });
    const res = await api("/api/entries/readable?kb=crud");
    const body = await res.json<EntryRead>();
    expect(body.entry.metadata).toEqual({ source: "x", n: 1 });
    expect(body.embedding).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("404s for an unknown entry, in the error shape", async () => {
    for (const [method, body] of [
      ["GET", undefined],
      ["PATCH", { body: "x" }],
      ["PUT", { title: "x" }],
      ["DELETE", undefined],
    ] as const) {
      const res = body
        ? await send(method, "/api/entries/nope?kb=crud", body)
        : await api("/api/entries/nope?kb=crud", { method });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "entry_not_found" } });
    }
  });

  it("PUT replaces every field (omitted ones return to defaults)", async () => {
    await createEntry({
      kb: "crud",
      title: "Replace me",
      tags: ["t"],
      importance: 9,
      summary: "s",
    });
    const res = await send("PUT", "/api/entries/replace-me?kb=crud", { title: "Replaced" });
    expect(res.status).toBe(200);
    const body = await res.json<EntryWriteResult>();
    expect(body.entry).toMatchObject({
      id: "replace-me",
      title: "Replaced",
      tags: [],
      importance: 5,
      summary: "",
    });
    expect(body.embedding.status).toBe("queued");
  });

  it("PATCH changes only the given fields and needs at least one", async () => {
    await createEntry({ kb: "crud", title: "Patch me", body: "keep", tags: ["k"] });
    const res = await send("PATCH", "/api/entries/patch-me?kb=crud", { importance: 7 });
    expect(await res.json()).toMatchObject({ entry: { body: "keep", tags: ["k"], importance: 7 } });
    const empty = await send("PATCH", "/api/entries/patch-me?kb=crud", {});
    expect(empty.status).toBe(400);
  });

  it("rejects a body kb that differs from ?kb=", async () => {
    await createEntry({ kb: "crud", title: "Mine" });
    const res = await send("PATCH", "/api/entries/mine?kb=crud", { kb: "other", body: "x" });
    expect(res.status).toBe(400);
  });

  it("DELETE removes the entry, its queue row and every passage and vector together", async () => {
    await createEntry({ kb: "crud", title: "Doomed entry" });
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO entry_embeddings (kb_name, entry_id, model, dims, content_hash, embedded_at, passages) VALUES ('crud', 'doomed-entry', 'm', 1, 'h', 1, 2)",
      ),
      env.DB.prepare(
        "INSERT INTO passage_vectors (kb_name, entry_id, model, hash, dims, vector, created_at) VALUES ('crud', 'doomed-entry', 'm', 'a', 1, x'00000000', 1), ('crud', 'doomed-entry', 'm', 'b', 1, x'00000000', 1), ('crud', 'doomed-entry', 'm', 'staged', 1, x'00000000', 1)",
      ),
      env.DB.prepare(
        "INSERT INTO entry_passages (kb_name, entry_id, seq, model, hash, start, end, embedded_at) VALUES ('crud', 'doomed-entry', 0, 'm', 'a', 0, 0, 1), ('crud', 'doomed-entry', 1, 'm', 'b', 0, 0, 1)",
      ),
    ]);
    const res = await api("/api/entries/doomed-entry?kb=crud", { method: "DELETE" });
    expect(res.status).toBe(200);
    const count = async (table: string) =>
      (
        await env.DB.prepare(
          `SELECT count(*) AS n FROM ${table} WHERE kb_name = 'crud' AND ${table === "entries" ? "id" : "entry_id"} = 'doomed-entry'`,
        ).first<{ n: number }>()
      )?.n;
    expect([
      await count("entries"),
      await count("embed_queue"),
      await count("entry_embeddings"),
      await count("entry_passages"),
      await count("passage_vectors"),
    ]).toEqual([0, 0, 0, 0, 0]);
  });

  it("413s a request body over 2 MiB, and 400s a body field over 1 MiB", async () => {
    const huge = await send("POST", "/api/entries", {
      kb: "big",
      title: "t",
      body: "x".repeat(2 * 1024 * 1024 + 10),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { code: "payload_too_large" } });
    const big = await send("POST", "/api/entries", {
      kb: "big",
      title: "t",
      body: "x".repeat(1024 * 1024 + 10),
    });
    expect(big.status).toBe(400);
  });
});

describe("GET /health", () => {
  it("is served by the worker's default export", async () => {
    const res = await exports.default.fetch(new Request(`${BASE_URL}/health`));
    expect(res.status).toBe(200);
  });

  it("answers with D1 reachable", async () => {
    const res = await api("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, embed_mode: "background" });
  });
});

describe("no acknowledged change lost (issue 12, item 4)", () => {
  type Written = { entry: { tags: string[]; importance: number; version: number; etag: string } };

  it("concurrent PATCHes of different fields both land, round after round", {
    timeout: 60_000,
  }, async () => {
    await createEntry({ kb: "race", title: "Contended", tags: ["t0"], importance: 1 });
    const path = "/api/entries/contended?kb=race";
    for (let round = 1; round <= 100; round++) {
      const tags = [`t${round}`];
      const importance = (round % 10) + 1;
      const [a, b] = await Promise.all([
        send("PATCH", path, { tags }),
        send("PATCH", path, { importance }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const got = (await (await api(path)).json()) as Written;
      expect({ round, tags: got.entry.tags, importance: got.entry.importance }).toEqual({
        round,
        tags,
        importance,
      });
    }
    const final = (await (await api(path)).json()) as Written;
    // One version per acknowledged write: 1 at creation, 200 updates.
    expect(final.entry.version).toBe(201);
  });

  it("reads and writes carry the version and its ETag", async () => {
    const created = await send("POST", "/api/entries", { kb: "tags", title: "Tagged" });
    const body = (await created.json()) as Written;
    expect(body.entry.version).toBe(1);
    expect(created.headers.get("ETag")).toBe(body.entry.etag);
    const read = await api("/api/entries/tagged?kb=tags");
    expect(read.headers.get("ETag")).toBe(body.entry.etag);
    const patched = await send("PATCH", "/api/entries/tagged?kb=tags", { importance: 3 });
    const after = (await patched.json()) as Written;
    expect(after.entry.version).toBe(2);
    expect(patched.headers.get("ETag")).toBe(after.entry.etag);
    expect(after.entry.etag).not.toBe(body.entry.etag);
  });

  /** Sends JSON with an `If-Match` header. */
  function sendIfMatch(method: string, path: string, ifMatch: string, json?: unknown) {
    return api(path, {
      method,
      headers: { "content-type": "application/json", "if-match": ifMatch },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
  }

  it("If-Match: a stale ETag gets 412 on PUT, PATCH and DELETE and changes nothing", async () => {
    const { entry } = (await (
      await send("POST", "/api/entries", { kb: "occ", title: "Guarded", tags: ["a"] })
    ).json()) as Written;
    const path = "/api/entries/guarded?kb=occ";
    // Someone else writes: the ETag read above is now stale.
    await send("PATCH", path, { tags: ["b"] });
    const before = await (await api(path)).json();
    for (const [method, json] of [
      ["PATCH", { importance: 9 }],
      ["PUT", { title: "Guarded", tags: ["c"] }],
      ["DELETE", undefined],
    ] as const) {
      const res = await sendIfMatch(method, path, entry.etag, json);
      expect(res.status, method).toBe(412);
      expect(await res.json()).toMatchObject({
        error: { code: "precondition_failed", details: { version: 2 } },
      });
    }
    expect(await (await api(path)).json()).toEqual(before);
    expect((await queueRows()).filter((r) => r.kb_name === "occ")).toHaveLength(1);

    // The current ETag (among others, or `*`) passes.
    const current = (before as Written).entry.etag;
    const ok = await sendIfMatch("PATCH", path, `"0.x", ${current}`, { importance: 9 });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Written).entry).toMatchObject({ tags: ["b"], importance: 9 });
    expect((await sendIfMatch("PATCH", path, "*", { importance: 8 })).status).toBe(200);
    const latest = ((await (await api(path)).json()) as Written).entry.etag;
    expect((await sendIfMatch("DELETE", path, latest)).status).toBe(200);
    expect((await api(path)).status).toBe(404);
  });

  it("If-Match: a re-created entry does not match the old one's ETag", async () => {
    const first = (await (
      await send("POST", "/api/entries", { kb: "occ", title: "Phoenix" })
    ).json()) as Written;
    await api("/api/entries/phoenix?kb=occ", { method: "DELETE" });
    // Re-created at version 1 again, but a later creation time.
    await new Promise((r) => setTimeout(r, 5));
    await send("POST", "/api/entries", { kb: "occ", title: "Phoenix" });
    const res = await sendIfMatch("PUT", "/api/entries/phoenix?kb=occ", first.entry.etag, {
      title: "Phoenix",
      body: "overwrite",
    });
    expect(res.status).toBe(412);
  });

  it.each(["3", '"3", nope', "W/"])("rejects a malformed If-Match %j with 400", async (value) => {
    await createEntry({ kb: "occ", title: `Malformed ${value.length}` });
    const res = await sendIfMatch("PATCH", `/api/entries/malformed-${value.length}?kb=occ`, value, {
      importance: 2,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
  });
});

describe("lists sized by the request (issue 12, item 5)", () => {
  type Listed = {
    entries: { id: string; excerpt: string; body?: string }[];
    total: number;
    next_offset: number | null;
  };

  it("lists metadata and an excerpt; bodies only with ?fields=body", async () => {
    await createEntry({ kb: "excerpts", title: "Long", body: `${"word ".repeat(200)}end` });
    const res = await api("/api/entries?kb=excerpts");
    const list = (await res.json()) as Listed;
    expect(list.entries[0]).not.toHaveProperty("body");
    expect(list.entries[0]?.excerpt).toBe("word ".repeat(48));
    expect(list.next_offset).toBeNull();
    const full = (await (await api("/api/entries?kb=excerpts&fields=body")).json()) as Listed;
    expect(full.entries[0]?.body).toBe(`${"word ".repeat(200)}end`);
    expect((await api("/api/entries?kb=excerpts&fields=secret")).status).toBe(400);
  });

  it("40 entries of 300 kB: a small page by default; with bodies, pages cut by bytes", {
    timeout: 60_000,
  }, async () => {
    const body = "y".repeat(300_000);
    for (let i = 0; i < 40; i++) {
      await createEntry({ kb: "heavy", id: `h${String(i).padStart(2, "0")}`, title: "H", body });
    }
    const small = await api("/api/entries?kb=heavy&limit=500");
    const text = await small.text();
    expect(text.length).toBeLessThan(100_000);
    expect((JSON.parse(text) as Listed).entries).toHaveLength(40);

    // With bodies: each page stays near the 4 MiB budget; next_offset walks all 40 exactly once.
    const seen: string[] = [];
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null) {
      const page = await api(`/api/entries?kb=heavy&limit=500&fields=body&offset=${offset}`);
      const raw = await page.text();
      expect(raw.length).toBeLessThan(4 * 1024 * 1024 + 400_000);
      const parsed = JSON.parse(raw) as Listed;
      expect(parsed.total).toBe(40);
      expect(parsed.entries.every((e) => e.body === body)).toBe(true);
      seen.push(...parsed.entries.map((e) => e.id));
      offset = parsed.next_offset;
      pages++;
    }
    expect(pages).toBeGreaterThan(2);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => `h${String(i).padStart(2, "0")}`));
  });
});
