/**
 * The optional API token: with `PYRITE_API_TOKEN` set, every /api route, /ws and /mcp require it
 * (Bearer header; for WebSockets also a `bearer.<token>` subprotocol or `?token=`), missing or
 * wrong is 401 in the JSON error shape and changes nothing; /health stays open. Deployed
 * (`PYRITE_ENV=production`) without a token, writes are refused. Whoever the caller, the server
 * answers only the Host names it is known by (DNS rebinding).
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { constantTimeEqual, presentedToken } from "../../src/middleware/auth";
import { appFetch, BASE_URL, type TestEnv } from "./app-fetch";
import { errorShapeProblems, snapshot } from "./bad-input/expect-error";
import { createEntry, resetEmbedder, send, worker } from "./helpers";

const TOKEN = "pyrite-test-token_0123456789.abc~XYZ";
const authEnv: TestEnv = { ...env, PYRITE_API_TOKEN: TOKEN };
const json = { "content-type": "application/json" };

/** Every route, with a request that would succeed (or at least pass validation) with the token. */
const routes: { name: string; path: string; init: RequestInit }[] = [
  {
    name: "POST /api/entries",
    path: "/api/entries",
    init: { method: "POST", headers: json, body: JSON.stringify({ kb: "auth", title: "New one" }) },
  },
  { name: "GET /api/entries", path: "/api/entries?kb=auth", init: {} },
  { name: "GET /api/entries/:id", path: "/api/entries/guarded?kb=auth", init: {} },
  {
    name: "PUT /api/entries/:id",
    path: "/api/entries/guarded?kb=auth",
    init: { method: "PUT", headers: json, body: JSON.stringify({ title: "Replaced" }) },
  },
  {
    name: "PATCH /api/entries/:id",
    path: "/api/entries/guarded?kb=auth",
    init: { method: "PATCH", headers: json, body: JSON.stringify({ body: "patched" }) },
  },
  {
    name: "DELETE /api/entries/:id",
    path: "/api/entries/guarded?kb=auth",
    init: { method: "DELETE" },
  },
  {
    name: "POST /api/entries/batch",
    path: "/api/entries/batch",
    init: {
      method: "POST",
      headers: json,
      body: JSON.stringify({ kb: "auth", entries: [{ title: "Batched" }] }),
    },
  },
  { name: "GET /api/search", path: "/api/search?q=guarded", init: {} },
  { name: "GET /api/index/embed-status", path: "/api/index/embed-status", init: {} },
  { name: "POST /api/index/embed", path: "/api/index/embed", init: { method: "POST" } },
  { name: "POST /api/index/embed/pause", path: "/api/index/embed/pause", init: { method: "POST" } },
  {
    name: "POST /api/index/embed/resume",
    path: "/api/index/embed/resume",
    init: { method: "POST" },
  },
  {
    name: "POST /api/index/embed/retry-failed",
    path: "/api/index/embed/retry-failed",
    init: { method: "POST" },
  },
  { name: "GET /api/index/embed/failed", path: "/api/index/embed/failed", init: {} },
  { name: "GET /ws", path: "/ws", init: { headers: { Upgrade: "websocket" } } },
  {
    name: "POST /mcp",
    path: "/mcp",
    init: {
      method: "POST",
      headers: { ...json, accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    },
  },
  { name: "GET /mcp", path: "/mcp", init: {} },
  { name: "an unknown /api route", path: "/api/nothing-here", init: {} },
];

function withHeaders(init: RequestInit, headers: Record<string, string>): RequestInit {
  return { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } };
}

/** Credentials that must not get in. */
const wrong: [string, Record<string, string>, string?][] = [
  ["no credentials", {}],
  ["a wrong token", { Authorization: "Bearer not-the-token" }],
  ["the token with a byte more", { Authorization: `Bearer ${TOKEN}x` }],
  ["a prefix of the token", { Authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
  ["an empty bearer", { Authorization: "Bearer " }],
  ["the token without a scheme", { Authorization: TOKEN }],
  ["the token as Basic", { Authorization: `Basic ${btoa(`user:${TOKEN}`)}` }],
  ["the token in another header", { "X-Api-Token": TOKEN }],
  // The query and subprotocol forms are for WebSocket upgrades only.
  ["?token= on plain HTTP", {}, `token=${TOKEN}`],
  ["a bearer subprotocol on plain HTTP", { "Sec-WebSocket-Protocol": `pyrite, bearer.${TOKEN}` }],
];

async function workerState(): Promise<string> {
  return (await worker().status()).state;
}

beforeAll(async () => {
  await resetEmbedder();
  await createEntry({ kb: "auth", id: "guarded", title: "Guarded", body: "secret" });
});

describe("with PYRITE_API_TOKEN set", () => {
  it.each(routes)("$name: 401 without the right token, and nothing changes", async (route) => {
    for (const [what, headers, query] of wrong) {
      // On an upgrade those two forms are the WebSocket credentials (tested below).
      if (route.name === "GET /ws" && what.includes("plain HTTP")) continue;
      const path = query
        ? `${route.path}${route.path.includes("?") ? "&" : "?"}${query}`
        : route.path;
      const before = await snapshot();
      const state = await workerState();
      const res = await appFetch(path, withHeaders(route.init, headers), authEnv);
      expect(res.status, `${route.name} with ${what}`).toBe(401);
      const problems = await errorShapeProblems(res);
      expect(problems, `${route.name} with ${what}`).toEqual([]);
      expect(await snapshot(), `${route.name} with ${what} wrote`).toBe(before);
      expect(await workerState(), `${route.name} with ${what} changed the worker`).toBe(state);
    }
  });

  it.each(routes)("$name: the Bearer token gets in", async (route) => {
    const res = await appFetch(
      route.path,
      withHeaders(route.init, { Authorization: `Bearer ${TOKEN}` }),
      authEnv,
    );
    expect(res.status, res.webSocket ? "" : await res.clone().text()).not.toBe(401);
    expect(res.status).toBeLessThan(500);
    res.webSocket?.accept();
    res.webSocket?.close(1000);
    // Put back what the route changed, so the next route finds what it expects.
    if (route.name === "DELETE /api/entries/:id") {
      await createEntry({ kb: "auth", id: "guarded", title: "Guarded", body: "secret" });
    }
    if (route.name.includes("pause")) await worker().resume();
  });

  it("the scheme is case-insensitive", async () => {
    const res = await appFetch(
      "/api/entries?kb=auth",
      { headers: { Authorization: `bearer ${TOKEN}` } },
      authEnv,
    );
    expect(res.status).toBe(200);
  });

  it("an oversized body without the token is 401, not 413", async () => {
    const big = JSON.stringify({ kb: "auth", title: "Big", body: "x".repeat(3 * 1024 * 1024) });
    const res = await appFetch(
      "/api/entries",
      { method: "POST", headers: json, body: big },
      authEnv,
    );
    expect(res.status).toBe(401);
  });

  it("/health stays open", async () => {
    const res = await appFetch("/health", {}, authEnv);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
  });

  it("the 401 does not say what the token is, or how long", async () => {
    const res = await appFetch(
      "/api/entries?kb=auth",
      { headers: { Authorization: "Bearer x" } },
      authEnv,
    );
    const text = await res.text();
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(String(TOKEN.length));
    expect(JSON.parse(text)).toEqual({
      error: { code: "unauthorized", message: "missing or invalid API token" },
    });
  });

  it("paths that look different but route the same are guarded the same", async () => {
    const variants = [
      "/ws/",
      "/ws?kb=auth",
      "//api/entries?kb=auth",
      "/api//entries?kb=auth",
      "/api/entries/?kb=auth",
      "/%61pi/entries?kb=auth",
      "/api/%65ntries?kb=auth",
      "/health/../api/entries?kb=auth",
      "/API/entries?kb=auth",
      "/mcp/",
      "/api",
    ];
    for (const path of variants) {
      const res = await appFetch(path, { headers: { Upgrade: "websocket" } }, authEnv);
      // Either refused for want of a token, or no such route: never served.
      expect([401, 404], `${path} → ${res.status}`).toContain(res.status);
      expect(await errorShapeProblems(res), path).toEqual([]);
    }
  });
});

describe("WebSocket credentials", () => {
  async function open(path: string, headers: Record<string, string>) {
    const res = await appFetch(path, { headers: { Upgrade: "websocket", ...headers } }, authEnv);
    res.webSocket?.accept();
    res.webSocket?.close(1000);
    return res;
  }

  it("a bearer.<token> subprotocol gets in; the handshake answers the non-secret one", async () => {
    const res = await open("/ws?kb=auth", { "Sec-WebSocket-Protocol": `pyrite, bearer.${TOKEN}` });
    expect(res.status).toBe(101);
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("pyrite");
  });

  it("the token is never echoed back, whatever order the protocols come in", async () => {
    for (const offered of [`bearer.${TOKEN}, pyrite`, `bearer.${TOKEN}`, `chat, bearer.${TOKEN}`]) {
      const res = await open("/ws", { "Sec-WebSocket-Protocol": offered });
      expect(res.status, offered).toBe(101);
      const answered = res.headers.get("Sec-WebSocket-Protocol");
      expect(answered ?? "", offered).not.toContain(TOKEN);
      expect([null, "pyrite"], offered).toContain(answered);
    }
  });

  it("?token= gets in", async () => {
    const res = await open(`/ws?kb=auth&token=${encodeURIComponent(TOKEN)}`, {});
    expect(res.status).toBe(101);
  });

  it("a wrong subprotocol token or ?token= is 401", async () => {
    for (const [path, headers] of [
      ["/ws", { "Sec-WebSocket-Protocol": "pyrite, bearer.wrong" }],
      ["/ws?token=wrong", {}],
      ["/ws", { "Sec-WebSocket-Protocol": "pyrite" }],
    ] as const) {
      const res = await open(path, headers);
      expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
      expect(await errorShapeProblems(res)).toEqual([]);
    }
  });

  it("without a token configured, a handshake offering pyrite is answered with pyrite", async () => {
    const res = await appFetch("/ws", {
      headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "pyrite" },
    });
    expect(res.status).toBe(101);
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("pyrite");
    res.webSocket?.accept();
    res.webSocket?.close(1000);
  });
});

describe("without PYRITE_API_TOKEN", () => {
  it("every route is open (a blank token means none)", async () => {
    for (const token of [undefined, "", "   "]) {
      const res = await appFetch("/api/entries?kb=auth", {}, { ...env, PYRITE_API_TOKEN: token });
      expect(res.status, JSON.stringify(token)).toBe(200);
    }
  });
});

describe("constantTimeEqual", () => {
  it("is equality, for any lengths", async () => {
    expect(await constantTimeEqual(TOKEN, TOKEN)).toBe(true);
    for (const other of [
      "",
      "x",
      TOKEN.slice(1),
      `${TOKEN} `,
      TOKEN.toUpperCase(),
      "é".repeat(40),
    ]) {
      expect(await constantTimeEqual(other, TOKEN), other).toBe(false);
    }
  });

  it("reads the token from the header, then (upgrades only) the subprotocol, then the query", () => {
    const upgrade = { Upgrade: "websocket" };
    const req = (headers: Record<string, string>, query = "") =>
      new Request(`http://x/ws${query}`, { headers });
    expect(presentedToken(req({ Authorization: "Bearer a" }))).toBe("a");
    expect(presentedToken(req({ ...upgrade, "Sec-WebSocket-Protocol": "pyrite, bearer.b" }))).toBe(
      "b",
    );
    expect(presentedToken(req(upgrade, "?token=c"))).toBe("c");
    expect(presentedToken(req({}, "?token=c"))).toBeUndefined();
    expect(presentedToken(req({ "Sec-WebSocket-Protocol": "bearer.b" }))).toBeUndefined();
  });
});

describe("deployed (PYRITE_ENV=production)", () => {
  const open: TestEnv = { ...env, PYRITE_ENV: "production", ALLOWED_HOSTS: "*" };
  const guarded: TestEnv = { ...open, PYRITE_API_TOKEN: TOKEN };

  it.each(routes)(
    "$name without a token configured: writes are refused, reads served",
    async (route) => {
      const before = await snapshot();
      const state = await workerState();
      const res = await appFetch(route.path, route.init, open);
      const method = route.init.method ?? "GET";
      if (method === "GET") {
        expect(res.status, res.webSocket ? "" : await res.clone().text()).not.toBe(403);
        res.webSocket?.accept();
        res.webSocket?.close(1000);
      } else {
        expect(res.status).toBe(403);
        const text = await res.clone().text();
        expect(JSON.parse(text)).toMatchObject({ error: { code: "token_not_configured" } });
        expect(text).toContain("wrangler secret put PYRITE_API_TOKEN");
        expect(await errorShapeProblems(res)).toEqual([]);
      }
      expect(await snapshot(), `${route.name} wrote`).toBe(before);
      expect(await workerState()).toBe(state);
    },
  );

  it("with a token configured, a write with the token is served and one without is 401", async () => {
    const body = { kb: "auth", title: "Deployed write" };
    expect((await send("POST", "/api/entries", body, guarded)).status).toBe(401);
    const res = await appFetch(
      "/api/entries",
      {
        method: "POST",
        headers: { ...json, Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      },
      guarded,
    );
    expect(res.status).toBe(201);
  });

  it("a local server (PYRITE_ENV unset or local) takes writes without a token", async () => {
    for (const value of [undefined, "local"]) {
      const res = await send("POST", "/api/index/embed/pause", {}, { ...env, PYRITE_ENV: value });
      expect(res.status, String(value)).toBe(200);
      await worker().resume();
    }
  });

  it("an unknown PYRITE_ENV is a settings error, not a guess", async () => {
    const res = await appFetch("/api/entries?kb=auth", {}, { ...env, PYRITE_ENV: "staging" });
    expect(res.status).toBe(500);
  });
});

describe("Host names (DNS rebinding)", () => {
  const port = new URL(BASE_URL).port;

  /** One request whose URL and Host header name `host`. */
  function at(host: string, path: string, init: RequestInit = {}, withEnv: TestEnv = env) {
    const headers = { ...(init.headers as Record<string, string>), Host: host };
    return appFetch(path, { ...init, headers }, withEnv, `http://${host}`);
  }

  it("loopback names are answered, with or without a port", async () => {
    for (const host of [
      "localhost",
      `localhost:${port}`,
      "127.0.0.1",
      `127.0.0.1:${port}`,
      "[::1]",
      `[::1]:${port}`,
      "LOCALHOST",
    ]) {
      const res = await at(host, "/api/entries?kb=auth");
      expect(res.status, host).toBe(200);
    }
  });

  it("any other name is 403 on every route, and changes nothing", async () => {
    for (const host of [
      "evil.example",
      `evil.example:${port}`,
      "localhost.evil.example",
      "127.0.0.1.nip.io",
      "192.168.1.20",
      "[::2]",
    ]) {
      for (const route of [...routes, { name: "GET /health", path: "/health", init: {} }]) {
        const before = await snapshot();
        const res = await at(host, route.path, route.init);
        expect(res.status, `${route.name} at ${host}`).toBe(403);
        const text = await res.clone().text();
        expect(JSON.parse(text)).toMatchObject({ error: { code: "forbidden_host" } });
        expect(await errorShapeProblems(res)).toEqual([]);
        expect(await snapshot()).toBe(before);
      }
    }
  });

  it("a Host header that disagrees with the URL is judged by both", async () => {
    const res = await appFetch("/api/entries?kb=auth", { headers: { Host: "evil.example" } });
    expect(res.status).toBe(403);
    const malformed = await appFetch("/api/entries?kb=auth", { headers: { Host: "localhost/x" } });
    expect(malformed.status).toBe(403);
  });

  it("a foreign host is refused before the token is asked for", async () => {
    const res = await at("evil.example", "/api/entries?kb=auth", {}, authEnv);
    expect(res.status).toBe(403);
  });

  it("ALLOWED_HOSTS adds names (case-insensitive); * answers any", async () => {
    const lan: TestEnv = { ...env, ALLOWED_HOSTS: " pyrite.lan , 192.168.1.20 " };
    expect((await at("pyrite.lan:8787", "/api/entries?kb=auth", {}, lan)).status).toBe(200);
    expect((await at("PYRITE.LAN", "/api/entries?kb=auth", {}, lan)).status).toBe(200);
    expect((await at("192.168.1.20", "/api/entries?kb=auth", {}, lan)).status).toBe(200);
    expect((await at("localhost", "/api/entries?kb=auth", {}, lan)).status).toBe(200);
    expect((await at("evil.example", "/api/entries?kb=auth", {}, lan)).status).toBe(403);
    const any: TestEnv = { ...env, ALLOWED_HOSTS: "*" };
    expect((await at("evil.example", "/api/entries?kb=auth", {}, any)).status).toBe(200);
  });
});
