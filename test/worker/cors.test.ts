/**
 * CORS: closed by default (no Access-Control-Allow-Origin, preflights not approved); with
 * `CORS_ORIGINS` set, only the listed origins are allowed, and the answer varies by Origin.
 * Requests a browser sends without a preflight are refused when they come from a foreign origin
 * and would change state or open a socket (403), whatever the token setting.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { appFetch, BASE_URL, type TestEnv } from "./app-fetch";
import { errorShapeProblems, snapshot } from "./bad-input/expect-error";
import { createEntry, worker } from "./helpers";

const APP = "https://app.example";
const OTHER = "https://other.example";
const listed: TestEnv = { ...env, CORS_ORIGINS: ` ${APP} , ${OTHER} ` };
const TOKEN = "cors-test-token";

/** A browser's preflight for a JSON POST with a bearer token. */
function preflight(origin: string, path = "/api/entries"): RequestInit & { path: string } {
  return {
    path,
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "authorization, content-type",
    },
  };
}

async function fetchWith(init: RequestInit & { path: string }, withEnv: TestEnv) {
  const { path, ...rest } = init;
  return appFetch(path, rest, withEnv);
}

const allowOrigin = (res: Response) => res.headers.get("Access-Control-Allow-Origin");

beforeAll(async () => {
  await createEntry({ kb: "cors", id: "shared", title: "Shared" });
});

describe("CORS closed by default", () => {
  for (const [what, value] of [
    ["unset", undefined],
    ["empty", ""],
    ["blank", "  , "],
  ] as const) {
    const closed: TestEnv = { ...env, CORS_ORIGINS: value };

    it(`${what}: no Access-Control-Allow-Origin on any answer`, async () => {
      for (const origin of [APP, "null", "https://evil.example"]) {
        const res = await appFetch("/api/entries?kb=cors", { headers: { Origin: origin } }, closed);
        expect(res.status).toBe(200);
        expect(allowOrigin(res), origin).toBeNull();
        expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
      }
    });

    it(`${what}: a preflight is not approved`, async () => {
      const res = await fetchWith(preflight(APP), closed);
      expect(allowOrigin(res)).toBeNull();
      expect(res.headers.get("Access-Control-Allow-Methods")).toBeNull();
      expect(res.headers.get("Access-Control-Allow-Headers")).toBeNull();
      expect(res.status).toBeGreaterThanOrEqual(400);
    });
  }
});

describe("CORS_ORIGINS set", () => {
  it("a listed origin is allowed, exactly, and the answer varies by Origin", async () => {
    for (const origin of [APP, OTHER]) {
      const res = await appFetch("/api/entries?kb=cors", { headers: { Origin: origin } }, listed);
      expect(res.status).toBe(200);
      expect(allowOrigin(res)).toBe(origin);
      expect(res.headers.get("Vary") ?? "").toMatch(/origin/i);
    }
  });

  it("an unlisted origin is not (nor a near-miss of a listed one)", async () => {
    for (const origin of [
      "https://evil.example",
      "null",
      "http://app.example",
      "https://app.example.evil.example",
      "https://app.example:8443",
      `${APP}/`,
      "https://APP.example",
    ]) {
      const res = await appFetch("/api/entries?kb=cors", { headers: { Origin: origin } }, listed);
      expect(allowOrigin(res), origin).toBeNull();
      const pre = await fetchWith(preflight(origin), listed);
      expect(allowOrigin(pre), `preflight from ${origin}`).toBeNull();
    }
  });

  it("a listed origin's preflight is approved for the methods and headers the API uses", async () => {
    const res = await fetchWith(preflight(APP), listed);
    expect(res.status).toBe(204);
    expect(allowOrigin(res)).toBe(APP);
    expect(res.headers.get("Access-Control-Allow-Methods")).toContain("POST");
    expect((res.headers.get("Access-Control-Allow-Headers") ?? "").toLowerCase()).toContain(
      "authorization",
    );
    // Optimistic concurrency from a page: it may send If-Match.
    expect((res.headers.get("Access-Control-Allow-Headers") ?? "").toLowerCase()).toContain(
      "if-match",
    );
    expect(res.headers.get("Vary") ?? "").toMatch(/origin/i);
  });

  it("with a token: the preflight needs none; errors still carry the header so the page can read them", async () => {
    const guarded: TestEnv = { ...listed, PYRITE_API_TOKEN: TOKEN };
    const pre = await fetchWith(preflight(APP), guarded);
    expect(pre.status).toBe(204);
    expect(allowOrigin(pre)).toBe(APP);

    const denied = await appFetch("/api/entries?kb=cors", { headers: { Origin: APP } }, guarded);
    expect(denied.status).toBe(401);
    expect(allowOrigin(denied)).toBe(APP);

    const ok = await appFetch(
      "/api/entries?kb=cors",
      { headers: { Origin: APP, Authorization: `Bearer ${TOKEN}` } },
      guarded,
    );
    expect(ok.status).toBe(200);
    expect(allowOrigin(ok)).toBe(APP);
  });

  it("a bad request from a listed origin is answered with the header too", async () => {
    const res = await appFetch("/api/entries?kb=../x", { headers: { Origin: APP } }, listed);
    expect(res.status).toBe(400);
    expect(allowOrigin(res)).toBe(APP);
  });

  it("never allows credentials (cookies): the API's credential is the bearer token", async () => {
    const res = await appFetch("/api/entries?kb=cors", { headers: { Origin: APP } }, listed);
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
  });

  it("* allows any origin", async () => {
    const any: TestEnv = { ...env, CORS_ORIGINS: "*" };
    const res = await appFetch(
      "/api/entries?kb=cors",
      { headers: { Origin: "https://x.example" } },
      any,
    );
    expect(allowOrigin(res)).toBe("*");
  });
});

describe("a foreign origin cannot change state", () => {
  const EVIL = "https://evil.example";
  const OWN = new URL(BASE_URL).origin;
  const mcpHeaders = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const mcpList = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });

  /** What a page on another origin can send without a preflight, and more. */
  const attacks: { name: string; path: string; init: RequestInit }[] = [
    {
      name: "a text/plain batch (the issue's reproduction)",
      path: "/api/entries/batch",
      init: {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ kb: "cors", entries: [{ title: "Planted" }] }),
      },
    },
    {
      name: "a JSON create",
      path: "/api/entries",
      init: {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ kb: "cors", title: "Planted" }),
      },
    },
    { name: "a bodiless pause", path: "/api/index/embed/pause", init: { method: "POST" } },
    { name: "a delete", path: "/api/entries/shared?kb=cors", init: { method: "DELETE" } },
    {
      name: "a patch",
      path: "/api/entries/shared?kb=cors",
      init: { method: "PATCH", headers: { "content-type": "application/json" }, body: "{}" },
    },
    {
      name: "an MCP call",
      path: "/mcp",
      init: { method: "POST", headers: mcpHeaders, body: mcpList },
    },
    { name: "a WebSocket", path: "/ws", init: { headers: { Upgrade: "websocket" } } },
  ];

  function from(origin: string, init: RequestInit): RequestInit {
    return { ...init, headers: { ...(init.headers as Record<string, string>), Origin: origin } };
  }

  it.each(attacks)(
    "$name from another origin is 403 and changes nothing",
    async ({ path, init }) => {
      for (const origin of [EVIL, "null", `${OWN}.evil.example`, OWN.replace("http:", "https:")]) {
        for (const withEnv of [env, listed, { ...env, PYRITE_API_TOKEN: TOKEN }]) {
          const before = await snapshot();
          const state = (await worker().status()).state;
          const res = await appFetch(path, from(origin, init), withEnv);
          expect(res.status, origin).toBe(403);
          const text = await res.clone().text();
          expect(JSON.parse(text), text).toMatchObject({ error: { code: "forbidden_origin" } });
          expect(await errorShapeProblems(res)).toEqual([]);
          expect(await snapshot(), `${origin} wrote`).toBe(before);
          expect((await worker().status()).state, `${origin} changed the worker`).toBe(state);
        }
      }
    },
  );

  it.each(attacks)(
    "$name from the server's own origin, a listed one, or none gets through",
    async ({ name, path, init }) => {
      const cases: [string | undefined, TestEnv][] = [
        [OWN, env],
        [APP, listed],
        [undefined, env],
        ["https://any.example", { ...env, CORS_ORIGINS: "*" }],
      ];
      for (const [origin, withEnv] of cases) {
        const res = await appFetch(path, origin ? from(origin, init) : init, withEnv);
        // Not refused for its origin: the route itself answers (a 415 for the text/plain batch).
        expect(res.status, `${name} from ${origin}`).not.toBe(403);
        expect(res.status).toBeLessThan(500);
        res.webSocket?.accept();
        res.webSocket?.close(1000);
        if (path.includes("pause")) await worker().resume();
        if (init.method === "DELETE")
          await createEntry({ kb: "cors", id: "shared", title: "Shared" });
      }
    },
  );

  it("reads from another origin are answered (CORS decides whether the page may see them)", async () => {
    const res = await appFetch("/api/entries?kb=cors", { headers: { Origin: EVIL } });
    expect(res.status).toBe(200);
    expect(allowOrigin(res)).toBeNull();
  });
});
