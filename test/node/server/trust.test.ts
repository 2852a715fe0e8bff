/**
 * The running local server trusts only its own origin: requests whose Host is not a loopback name
 * (DNS rebinding), state changes from a foreign Origin, and bodies not declared as JSON are
 * refused over real HTTP, while the CLI's kind of request (no Origin, JSON or no body) works.
 * Also the launcher's decision of which Host names a bind address adds.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { bindHosts, isLoopbackBind } from "../../../src/server/bind-hosts.js";
import type { EmbedStatus } from "../../../src/shared/api-types.js";
import { parseErrorBody } from "../../../src/shared/schemas/error.js";
import { api, removeDir, startServer, type TestServer } from "../../support/server.js";

interface Raw {
  status: number;
  body: string;
}

/** One HTTP request with exactly these headers (fetch would not let a test set Host). */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Raw> {
  return new Promise((done, fail) => {
    // A fresh connection each time: workerd drops a kept-alive connection whose request body a
    // refusal left unread, and Node's agent would reuse it for the next request.
    const options = { host: "127.0.0.1", port, method, path, headers, agent: false };
    const req = httpRequest(options, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => done({ status: res.statusCode ?? 0, body: text }));
    });
    req.once("error", fail);
    req.end(body);
  });
}

function code(answer: Raw): string {
  return parseErrorBody(answer.body).code;
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
  await removeDir(server.stateDir);
});

const workerState = async () =>
  (await api<EmbedStatus>(server.url, "GET", "/api/index/embed-status")).worker.state;

describe("the local server over HTTP", () => {
  it("answers loopback Host names only", async () => {
    const path = "/api/entries?kb=trust";
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, "localhost"]) {
      expect((await raw(server.port, "GET", path, { Host: host })).status, host).toBe(200);
    }
    for (const host of [`evil.example:${server.port}`, "evil.example", "192.168.1.20"]) {
      const answer = await raw(server.port, "GET", path, { Host: host });
      expect(answer.status, host).toBe(403);
      expect(code(answer)).toBe("forbidden_host");
    }
  });

  it("a rebinding page cannot pass for localhost through Miniflare's MF-Original-URL", async () => {
    const answer = await raw(server.port, "GET", "/api/entries?kb=trust", {
      Host: `evil.example:${server.port}`,
      "MF-Original-URL": `http://localhost:${server.port}/api/entries?kb=trust`,
    });
    expect(answer.status).toBe(403);
  });

  it("refuses the issue's cross-origin text/plain batch and pause, and writes nothing", async () => {
    const batch = await raw(
      server.port,
      "POST",
      "/api/entries/batch",
      { Origin: "https://evil.example", "Content-Type": "text/plain" },
      JSON.stringify({ kb: "trust", entries: [{ title: "Planted" }] }),
    );
    expect(batch.status).toBe(403);
    const pause = await raw(server.port, "POST", "/api/index/embed/pause", {
      Origin: "https://evil.example",
    });
    expect(pause.status).toBe(403);
    expect(code(pause)).toBe("forbidden_origin");
    expect(await workerState()).not.toBe("paused");
    const same = await raw(
      server.port,
      "POST",
      "/api/entries/batch",
      { "Content-Type": "text/plain" },
      JSON.stringify({ kb: "trust", entries: [{ title: "Planted" }] }),
    );
    expect(same.status).toBe(415);
    const list = await api<{ total: number }>(server.url, "GET", "/api/entries?kb=trust");
    expect(list.total).toBe(0);
  });

  it("the server's own page (same Origin) and the CLI's requests (no Origin) get through", async () => {
    const own = `http://127.0.0.1:${server.port}`;
    const created = await raw(
      server.port,
      "POST",
      "/api/entries",
      { Origin: own, Host: `127.0.0.1:${server.port}`, "Content-Type": "application/json" },
      JSON.stringify({ kb: "trust", title: "Mine" }),
    );
    expect(created.status).toBe(201);
    // `curl -X POST`: no body, no Content-Length, no Content-Type.
    expect((await raw(server.port, "POST", "/api/index/embed/pause")).status).toBe(200);
    expect(await workerState()).toBe("paused");
    await api(server.url, "POST", "/api/index/embed/resume");
  });

  it("a WebSocket from a foreign Origin is refused; from none or our own it opens", async () => {
    const open = (origin?: string) =>
      new Promise<number>((done) => {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, origin ? { origin } : {});
        ws.once("open", () => {
          ws.close();
          done(101);
        });
        ws.once("unexpected-response", (_req, res) => done(res.statusCode ?? 0));
        ws.once("error", () => done(0));
      });
    expect(await open("https://evil.example")).toBe(403);
    expect(await open()).toBe(101);
    expect(await open(`http://127.0.0.1:${server.port}`)).toBe(101);
  });
});

describe("bindHosts (what a listening address adds to ALLOWED_HOSTS)", () => {
  it("loopback binds add nothing and warn of nothing", () => {
    for (const bind of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) {
      expect(isLoopbackBind(bind), bind).toBe(true);
      expect(bindHosts(bind, {}), bind).toEqual({ allowedHosts: undefined, warnings: [] });
    }
  });

  it("one specific address is answered too; IPv6 in brackets", () => {
    expect(bindHosts("192.168.1.20", { PYRITE_API_TOKEN: "t" })).toEqual({
      allowedHosts: "192.168.1.20",
      warnings: [],
    });
    expect(bindHosts("fd00::1", { PYRITE_API_TOKEN: "t" }).allowedHosts).toBe("[fd00::1]");
  });

  it("every interface: loopback names only, and a warning saying how to add names", () => {
    for (const bind of ["0.0.0.0", "::"]) {
      const decided = bindHosts(bind, { PYRITE_API_TOKEN: "t" });
      expect(decided.allowedHosts).toBeUndefined();
      expect(decided.warnings.join("\n")).toMatch(/ALLOWED_HOSTS/);
    }
  });

  it("the user's ALLOWED_HOSTS wins; without a token a non-loopback bind warns", () => {
    const decided = bindHosts("0.0.0.0", { ALLOWED_HOSTS: "pyrite.lan" });
    expect(decided.allowedHosts).toBeUndefined();
    expect(decided.warnings).toHaveLength(1);
    expect(decided.warnings[0]).toMatch(/without PYRITE_API_TOKEN/);
  });
});
