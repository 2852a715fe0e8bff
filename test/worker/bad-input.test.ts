/**
 * Bad input, property-based (fast-check, fixed seed, bounded runs): every route answers malformed
 * or invalid requests with a 4xx in the one JSON error shape, never a 5xx, and writes nothing.
 * Unicode in text fields is not bad input: it is accepted and comes back exactly.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { EntryRead } from "../../src/shared/api-types";
import { PING_TEXT, PONG_TEXT } from "../../src/shared/messages";
import { appFetch as api } from "./app-fetch";
import { errorShapeProblems, expectClientError, snapshot } from "./bad-input/expect-error";
import {
  badId,
  badKb,
  badMode,
  badPaging,
  brokenBody,
  malformedJson,
  pathSegment,
  rawEntryPaths,
  validBodies,
} from "./bad-input/inputs";
import { createEntry, resetEmbedder } from "./helpers";

/** Fixed seed and bounded runs: reproducible, and fast enough for every `npm test`. */
const fcOptions = { seed: 20_260_707, numRuns: 40, endOnFailure: true } as const;
const json = { "content-type": "application/json" };
const MiB = 1024 * 1024;

/** Sends a request that must be refused, and checks it was refused properly and wrote nothing. */
async function refused(
  path: string,
  init: RequestInit = {},
  what = `${init.method ?? "GET"} ${path}`,
) {
  const before = await snapshot();
  const res = await api(path, init);
  if (res.status >= 500) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  await expectClientError(res, what);
  const after = await snapshot();
  if (after !== before) throw new Error(`${what}: the request wrote to D1`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function body(method: string, text: string, headers: Record<string, string> = json): RequestInit {
  return { method, headers, body: text };
}

/** Routes that take a JSON body, with a path that is otherwise valid. */
const bodyRoutes = [
  ["POST", "/api/entries"],
  ["PUT", "/api/entries/existing?kb=bad"],
  ["PATCH", "/api/entries/existing?kb=bad"],
  ["POST", "/api/entries/batch"],
  ["POST", "/api/index/embed"],
  ["POST", "/api/index/embed/pause"],
  ["POST", "/api/index/embed/resume"],
  ["POST", "/api/index/embed/retry-failed"],
] as const;

beforeAll(async () => {
  await resetEmbedder();
  await createEntry({ kb: "bad", id: "existing", title: "Existing", body: "untouched" });
  await createEntry({ kb: "notes", id: "existing", title: "Existing too" });
});

/** Property tests make tens of requests each. */
const slow = { timeout: 30_000 };

describe("malformed and truncated JSON", slow, () => {
  it.each(bodyRoutes)("%s %s refuses it", async (method, path) => {
    await fc.assert(
      fc.asyncProperty(malformedJson, async (text) => {
        await refused(path, body(method, text));
      }),
      fcOptions,
    );
  });

  it.each(bodyRoutes.slice(0, 4))("%s %s refuses an empty body", async (method, path) => {
    for (const text of ["", "  \n"]) await refused(path, body(method, text));
  });
});

describe("wrong types, missing and unknown fields, out-of-bounds values", slow, () => {
  it("POST /api/entries", async () => {
    await fc.assert(
      fc.asyncProperty(brokenBody("create"), async (b) => {
        await refused("/api/entries", body("POST", JSON.stringify(b)));
      }),
      fcOptions,
    );
  });

  it("PUT /api/entries/:id", async () => {
    await fc.assert(
      fc.asyncProperty(brokenBody("replace"), async (b) => {
        await refused("/api/entries/existing?kb=bad", body("PUT", JSON.stringify(b)));
      }),
      fcOptions,
    );
  });

  it("PATCH /api/entries/:id", async () => {
    await fc.assert(
      fc.asyncProperty(brokenBody("patch"), async (b) => {
        await refused("/api/entries/existing?kb=bad", body("PATCH", JSON.stringify(b)));
      }),
      fcOptions,
    );
  });

  it("POST /api/entries/batch", async () => {
    const item = validBodies.replace;
    const bad = fc.oneof(
      fc.constantFrom<unknown>(
        {},
        { entries: [] },
        { entries: {} },
        { entries: [item], mode: "merge" },
        { entries: [item], unknown: 1 },
        { kb: "../x", entries: [item] },
        { entries: Array.from({ length: 501 }, (_, i) => ({ ...item, id: `i${i}` })) },
        [],
        null,
      ),
      // An item may leave out its kb (the request's applies): only other breakages count here.
      brokenBody("create")
        .filter((b) => !(isObject(b) && !("kb" in b) && "title" in b))
        .map((b) => ({ kb: "bad", entries: [item, b] })),
    );
    await fc.assert(
      fc.asyncProperty(bad, async (b) => {
        await refused("/api/entries/batch", body("POST", JSON.stringify(b)));
      }),
      fcOptions,
    );
  });

  it("POST /api/index/embed, /embed/retry-failed, /embed/pause, /embed/resume", async () => {
    const cases = fc.oneof(
      fc
        .constantFrom<unknown>(
          { limit: 0 },
          { limit: 65 },
          { limit: 1.5 },
          { limit: "10" },
          { force: "yes" },
          { background: 1 },
          { unknown: true },
          [],
          "x",
          7,
        )
        .map((b) => ["/api/index/embed", b] as const),
      badKb.map((kb) => ["/api/index/embed", { kb }] as const),
      fc
        .constantFrom<unknown>(
          { id: "existing" },
          { kb: "bad", id: "../x" },
          { kb: 1 },
          { all: true },
          [],
        )
        .map((b) => ["/api/index/embed/retry-failed", b] as const),
      badKb.map((kb) => ["/api/index/embed/retry-failed", { kb }] as const),
      fc
        .tuple(
          fc.constantFrom("pause", "resume"),
          fc.constantFrom<unknown>({ kb: "bad" }, { now: true }, [], 1),
        )
        .map(([what, b]) => [`/api/index/embed/${what}`, b] as const),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ([path, b]) => {
        await refused(path, body("POST", JSON.stringify(b)));
      }),
      fcOptions,
    );
  });
});

describe(
  "bodies not declared as JSON are 415 (no cross-origin simple request changes state)",
  slow,
  () => {
    /** The content types a browser may send cross-origin without a preflight, and others. */
    const foreignTypes = [
      "text/plain",
      "text/plain;charset=UTF-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      "application/jsonp",
      "text/json",
      "",
    ];
    const valid: Record<string, string> = {
      "/api/entries": JSON.stringify({ kb: "bad", title: "Smuggled" }),
      "/api/entries/existing?kb=bad": JSON.stringify({ title: "Smuggled" }),
      "/api/entries/batch": JSON.stringify({ kb: "bad", entries: [{ title: "Smuggled" }] }),
    };

    it.each(bodyRoutes)(
      "%s %s refuses a valid JSON text sent as another type",
      async (method, path) => {
        const text = valid[path] ?? "{}";
        for (const type of foreignTypes) {
          const res = await api(path, body(method, text, { "content-type": type }));
          expect(res.status, `${type}`).toBe(415);
          await refused(
            path,
            body(method, text, { "content-type": type }),
            `${method} ${path} as ${type}`,
          );
        }
      },
    );

    it.each(bodyRoutes)("%s %s refuses a body with no content type", async (method, path) => {
      const bytes = () => new TextEncoder().encode(valid[path] ?? "{}");
      // Bytes get no content type from the Request constructor (a string would get text/plain);
      // a stream has no length either.
      await refused(path, { method, body: bytes() });
      await refused(path, { method, body: new Response(bytes()).body });
      expect((await api(path, { method, body: bytes() })).status).toBe(415);
    });

    it("a declared foreign type is refused even with an empty body (pause from a form)", async () => {
      for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
        for (const path of [
          "/api/index/embed/pause",
          "/api/index/embed",
          "/api/entries/existing?kb=bad",
        ]) {
          const method = path.startsWith("/api/entries") ? "DELETE" : "POST";
          const res = await api(path, body(method, "", { "content-type": type }));
          expect(res.status, `${method} ${path} as ${type}`).toBe(415);
          expect(await res.json()).toMatchObject({ error: { code: "unsupported_media_type" } });
        }
      }
      expect((await api("/api/entries/existing?kb=bad")).status).toBe(200);
      expect((await api("/api/index/embed-status")).status).toBe(200);
    });

    it("JSON with parameters or in another case is accepted", async () => {
      for (const type of [
        "application/json; charset=utf-8",
        "Application/JSON",
        " application/json ",
      ]) {
        const res = await api(
          "/api/entries/existing?kb=bad",
          body("PATCH", '{"importance": 4}', { "content-type": type }),
        );
        expect(res.status, type).toBe(200);
      }
    });

    it("bodiless requests need no content type (DELETE, POST pause/resume, with or without Content-Length: 0)", async () => {
      await createEntry({ kb: "bad", id: "bodiless", title: "Bodiless" });
      expect((await api("/api/entries/bodiless?kb=bad", { method: "DELETE" })).status).toBe(200);
      for (const headers of [{}, { "content-length": "0" }] as Record<string, string>[]) {
        expect((await api("/api/index/embed/pause", { method: "POST", headers })).status).toBe(200);
        expect((await api("/api/index/embed/resume", { method: "POST", headers })).status).toBe(
          200,
        );
      }
    });

    it("/mcp refuses a JSON-RPC message sent as text/plain", async () => {
      const res = await api("/mcp", {
        method: "POST",
        headers: { "content-type": "text/plain", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      expect(res.status).toBe(415);
      expect(await errorShapeProblems(res)).toEqual([]);
    });
  },
);

describe("invalid KB names and ids", slow, () => {
  it("in the path of GET|PUT|PATCH|DELETE /api/entries/:id", async () => {
    const methods = fc.constantFrom("GET", "PUT", "PATCH", "DELETE");
    await fc.assert(
      fc.asyncProperty(methods, badId, async (method, id) => {
        const init =
          method === "PUT" || method === "PATCH"
            ? body(method, JSON.stringify(validBodies.replace))
            : { method };
        await refused(
          `/api/entries/${pathSegment(id)}?kb=bad`,
          init,
          `${method} id ${JSON.stringify(id)}`,
        );
      }),
      fcOptions,
    );
  });

  it("in ?kb= of every route that takes one", async () => {
    const routes = fc.constantFrom(
      ["GET", "/api/entries?kb="],
      ["GET", "/api/entries/existing?kb="],
      ["PUT", "/api/entries/existing?kb="],
      ["PATCH", "/api/entries/existing?kb="],
      ["DELETE", "/api/entries/existing?kb="],
      ["GET", "/api/search?q=existing&kb="],
      ["GET", "/api/index/embed-status?kb="],
      ["GET", "/api/index/embed/failed?kb="],
      ["GET", "/ws?kb="],
    );
    await fc.assert(
      fc.asyncProperty(routes, badKb, async ([method, path], kb) => {
        const init =
          method === "PUT" || method === "PATCH"
            ? body(method, JSON.stringify(validBodies.replace))
            : { method };
        await refused(
          `${path}${encodeURIComponent(kb.replace(/[\uD800-\uDFFF]/g, "\uFFFD"))}`,
          init,
          `${method} ${path}${JSON.stringify(kb)}`,
        );
      }),
      fcOptions,
    );
  });

  it.each(rawEntryPaths)("raw path %s", async (path) => {
    for (const method of ["GET", "PUT", "PATCH", "DELETE"]) {
      const init =
        method === "PUT" || method === "PATCH"
          ? body(method, JSON.stringify(validBodies.replace))
          : { method };
      await refused(path, init);
    }
  });

  it("missing ?kb= on single-entry routes", async () => {
    for (const method of ["GET", "DELETE"]) await refused("/api/entries/existing", { method });
    await refused("/api/entries", {});
  });
});

describe("invalid query parameters", slow, () => {
  it("GET /api/entries: limit and offset", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("limit", "offset"), badPaging, async (param, value) => {
        if (param === "offset" && value === "0") return;
        await refused(`/api/entries?kb=bad&${param}=${encodeURIComponent(value)}`);
      }),
      fcOptions,
    );
  });

  it("GET /api/search: q, mode, limit, offset", async () => {
    const cases = fc.oneof(
      fc.constantFrom("", "q=", "q=%20%20", `q=${"x".repeat(1001)}`, "mode=keyword", "q=x&q=y"),
      badMode.map((mode) => `q=x&mode=${encodeURIComponent(mode)}`),
      badPaging.map((limit) => `q=x&limit=${encodeURIComponent(limit)}`),
      badPaging
        .filter((v) => v !== "0")
        .map((offset) => `q=x&offset=${encodeURIComponent(offset)}`),
    );
    await fc.assert(
      fc.asyncProperty(cases, async (query) => {
        await refused(`/api/search?${query}`);
      }),
      fcOptions,
    );
  });

  it("GET /api/index/embed/failed: limit", async () => {
    await fc.assert(
      fc.asyncProperty(badPaging, async (limit) => {
        await refused(`/api/index/embed/failed?limit=${encodeURIComponent(limit)}`);
      }),
      fcOptions,
    );
  });
});

describe("oversized bodies", slow, () => {
  const tooBig = `{"kb":"bad","title":"big","body":"${"x".repeat(2 * MiB)}"}`;

  it.each(bodyRoutes)(
    "%s %s: over 2 MiB is 413, with or without Content-Length",
    async (method, path) => {
      await refused(path, body(method, tooBig), `${method} ${path} (Content-Length)`);
      const bytes = new TextEncoder().encode(tooBig);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 64 * 1024)
            controller.enqueue(bytes.slice(i, i + 64 * 1024));
          controller.close();
        },
      });
      const res = await api(path, { method, headers: json, body: stream });
      expect(res.status, `${method} ${path} (streamed)`).toBe(413);
      expect(await errorShapeProblems(res)).toEqual([]);
    },
  );

  it("a body field over 1 MiB in a request under 2 MiB is 400", async () => {
    const big = "y".repeat(MiB + 1);
    await refused(
      "/api/entries",
      body("POST", JSON.stringify({ ...validBodies.create, body: big })),
    );
    await refused(
      "/api/entries/existing?kb=bad",
      body("PUT", JSON.stringify({ ...validBodies.replace, body: big })),
    );
    await refused("/api/entries/existing?kb=bad", body("PATCH", JSON.stringify({ body: big })));
  });

  it("deeply nested JSON is never a crash: within the limits it is stored, beyond them refused", async () => {
    const deep = [
      ["objects", `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`],
      ["arrays", `{"a":${"[".repeat(32_000)}${"]".repeat(32_000)}}`],
    ] as const;
    for (const [what, nested] of deep) {
      const id = `deep-${what}`;
      const text = `{"kb":"deep","id":"${id}","title":"Deep","metadata":${nested}}`;
      const res = await api("/api/entries", body("POST", text));
      expect(res.status, `metadata of nested ${what}`).toBe(201);
      const got = await api(`/api/entries/${id}?kb=deep`);
      expect(got.status).toBe(200);
      expect(JSON.stringify((await got.json<EntryRead>()).entry.metadata)).toBe(nested);
    }
    const tooDeep = `{"kb":"deep","id":"too-deep","title":"Deep","metadata":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}`;
    await refused("/api/entries", body("POST", tooDeep), "metadata over 64 KiB of nesting");
  });
});

describe("wrong methods and unknown routes", slow, () => {
  const valid = new Set([
    "POST /api/entries",
    "GET /api/entries",
    "GET /api/entries/existing",
    "PUT /api/entries/existing",
    "PATCH /api/entries/existing",
    "DELETE /api/entries/existing",
    "POST /api/entries/batch",
    "GET /api/search",
    "GET /api/index/embed-status",
    "POST /api/index/embed",
    "POST /api/index/embed/pause",
    "POST /api/index/embed/resume",
    "POST /api/index/embed/retry-failed",
    "GET /api/index/embed/failed",
    "GET /ws",
    "GET /health",
  ]);
  const paths = [
    "/api/entries",
    "/api/entries/existing",
    "/api/entries/batch",
    "/api/search",
    "/api/index/embed-status",
    "/api/index/embed",
    "/api/index/embed/pause",
    "/api/index/embed/resume",
    "/api/index/embed/retry-failed",
    "/api/index/embed/failed",
    "/ws",
    "/health",
  ];

  it("a wrong method on an existing path is 404 or 405 in the error shape", async () => {
    for (const path of paths) {
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PURGE"]) {
        if (valid.has(`${method} ${path}`)) continue;
        const init = method === "GET" || method === "OPTIONS" ? { method } : body(method, "{}");
        // GET|PUT /api/entries/batch are the single-entry routes with id "batch": 400 is right.
        await refused(`${path}?kb=bad`, init);
      }
    }
  });

  it("unknown routes are 404 in the error shape", async () => {
    const unknown = fc
      .tuple(fc.constantFrom("", "/api", "/api/entries/existing", "/api/index"), fc.webPath())
      .map(([prefix, rest]) => `${prefix}${rest.startsWith("/") ? rest : `/${rest}`}`)
      .filter(
        (p) => !paths.some((known) => p === known || p === `${known}/`) && !p.startsWith("/mcp"),
      );
    await fc.assert(
      fc.asyncProperty(unknown, fc.constantFrom("GET", "POST", "DELETE"), async (path, method) => {
        const init = method === "GET" ? { method } : body(method, "{}");
        const res = await api(path, init);
        expect(res.status, `${method} ${path}`).toBeLessThan(500);
        expect(await errorShapeProblems(res), `${method} ${path}`).toEqual([]);
      }),
      fcOptions,
    );
  });

  it("/mcp never answers bad input with a 5xx", async () => {
    for (const text of [
      "{",
      "[]",
      "null",
      '{"jsonrpc":"2.0"}',
      '{"jsonrpc":"2.0","id":1,"method":"nope"}',
    ]) {
      const res = await api("/mcp", {
        method: "POST",
        headers: { ...json, accept: "application/json, text/event-stream" },
        body: text,
      });
      expect(res.status, text).toBeLessThan(500);
    }
  });
});

describe("the WebSocket", slow, () => {
  it("GET /ws without an upgrade is 426 in the error shape", async () => {
    await refused("/ws");
  });

  it("garbage frames are ignored: the socket stays open and still answers ping", async () => {
    const res = await api("/ws?kb=bad", { headers: { Upgrade: "websocket" } });
    expect(res.status).toBe(101);
    const ws = res.webSocket;
    if (!ws) throw new Error("no WebSocket in the 101 response");
    const messages: string[] = [];
    let closed = false;
    ws.addEventListener("message", (e) => messages.push(String(e.data)));
    ws.addEventListener("close", () => {
      closed = true;
    });
    ws.accept();
    const garbage: (string | ArrayBuffer)[] = [
      "{",
      "null",
      '{"type":"embed_complete"}',
      "\u0000",
      "x".repeat(MiB / 2),
      new Uint8Array([0, 255, 1]).buffer,
    ];
    for (const frame of garbage) ws.send(frame);
    ws.send(PING_TEXT);
    for (let i = 0; i < 200 && !messages.includes(PONG_TEXT); i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(closed).toBe(false);
    expect(messages).toContain(PONG_TEXT);
    ws.close(1000, "done");
  });
});

describe("unicode in text fields is accepted and round-trips exactly", slow, () => {
  const text = fc.oneof(
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
    fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
    fc.constantFrom(
      "😀👩‍👩‍👧‍👦🏳️‍🌈",
      "שלום עולם",
      "مرحبا بالعالم",
      "e\u0301\u0301\u0301 Zalgo: Z͑ͫ̓ͪ̂ͫ̽͏̴̙̤̞͉͚̯̞̠͍A̴̵̜̰͔ͫ͗͢L̠ͨͧͩ͘G̴̻͈͍͔̹̑͗̎̅͛́Ǫ̵̹̻̝̳͂̌̌͘",
      "\u202Eright-to-left override\u202C",
      "zero\u200Bwidth\u200Djoiner\uFEFF",
      "日本語のテキスト",
      "\u0000 nul and \u0007 bell",
      "tab\tnew\nline\r\n",
    ),
  );
  let n = 0;

  it("title, summary, body, tags and metadata", async () => {
    await fc.assert(
      fc.asyncProperty(text, text, text, async (title, summary, bodyText) => {
        // Title is trimmed by design; it must keep something.
        fc.pre(title.trim().length > 0);
        const id = `u${n++}`;
        const sent = {
          kb: "unicode",
          id,
          title,
          summary,
          body: bodyText,
          tags: [summary],
          metadata: { [title]: bodyText, nested: { list: [summary] } },
        };
        const res = await api("/api/entries", body("POST", JSON.stringify(sent)));
        expect(res.status, await res.clone().text()).toBe(201);
        const got = await (await api(`/api/entries/${id}?kb=unicode`)).json<EntryRead>();
        expect(got.entry).toMatchObject({
          title: title.trim(),
          summary,
          body: bodyText,
          tags: [summary],
          metadata: sent.metadata,
        });
      }),
      { ...fcOptions, numRuns: 30 },
    );
  });

  it("lone surrogates, which cannot be stored as UTF-8, are refused rather than altered", async () => {
    for (const bad of ["\uD800", "a\uDC00b", "\uDBFF\uDBFF"]) {
      for (const field of ["title", "summary", "body"]) {
        const sent = { ...validBodies.create, id: "lone", [field]: `${bad} text` };
        await refused(
          "/api/entries",
          body("POST", JSON.stringify(sent)),
          `lone surrogate in ${field}`,
        );
      }
    }
  });

  it("in tags and metadata (stored as escaped JSON) lone surrogates are kept exactly", async () => {
    const sent = {
      kb: "unicode",
      id: "lone-json",
      title: "Lone",
      tags: ["\uD800x"],
      metadata: { "\uDC00": "a\uD800" },
    };
    const res = await api("/api/entries", body("POST", JSON.stringify(sent)));
    expect(res.status).toBe(201);
    const got = await (await api("/api/entries/lone-json?kb=unicode")).json<EntryRead>();
    expect(got.entry).toMatchObject({ tags: sent.tags, metadata: sent.metadata });
  });
});

describe("no request pollutes shared state", () => {
  it("a __proto__ key does not reach Object.prototype", async () => {
    const text =
      '{"kb":"bad","title":"Proto","__proto__":{"polluted":true},"metadata":{"__proto__":{"polluted":true}}}';
    const res = await api("/api/entries", body("POST", text));
    expect(res.status).toBeLessThan(500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(env).toBeDefined();
  });
});
