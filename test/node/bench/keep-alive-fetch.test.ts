/**
 * The bench's transport (bench/lib/keep-alive-fetch.ts) against a real node:http server on
 * loopback: it answers as fetch does, reuses its kept-alive socket, times each answer, and sends a
 * request once more only when a reused socket failed before any answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { keepAliveFetch, roundTripMs } from "../../../bench/lib/keep-alive-fetch.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string, nth: number) => void;

/** A server that records each request: its socket's number and its place on that socket. */
async function serve(handler: Handler) {
  const sockets = new Map<Socket, number>();
  const seen: { socket: number; nth: number; method: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const id = sockets.get(req.socket) ?? sockets.size;
      sockets.set(req.socket, id);
      const nth = seen.filter((s) => s.socket === id).length + 1;
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ socket: id, nth, method: req.method ?? "", body });
      handler(req, res, body, nth);
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  return { url: `http://127.0.0.1:${port}`, seen, close };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setUp(handler: Handler) {
  const server = await serve(handler);
  const transport = keepAliveFetch(4);
  cleanups.push(server.close, transport.close);
  return { server, transport };
}

describe("keep-alive fetch", () => {
  it("sends method, headers and body, answers as fetch does, timed, on one kept-alive socket", async () => {
    const { server, transport } = await setUp((req, res, body) => {
      if (req.method === "DELETE") {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(201, {
        "content-type": "application/json",
        "x-seen": req.headers.authorization,
      });
      res.end(JSON.stringify({ echoed: body, type: req.headers["content-type"] }));
    });
    const posted = await transport.fetch(`${server.url}/things?kb=a`, {
      method: "POST",
      headers: new Headers({ "Content-Type": "application/json", Authorization: "Bearer t" }),
      body: JSON.stringify({ a: 1 }),
    });
    expect(posted.status).toBe(201);
    expect(posted.headers.get("x-seen")).toBe("Bearer t");
    expect(await posted.json()).toEqual({ echoed: '{"a":1}', type: "application/json" });
    expect(roundTripMs(posted)).toBeGreaterThan(0);

    const deleted = await transport.fetch(`${server.url}/things/1`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();
    expect(server.seen.map((s) => [s.socket, s.method])).toEqual([
      [0, "POST"],
      [0, "DELETE"],
    ]);
    expect(() => roundTripMs(new Response("not ours"))).toThrow(/keep-alive transport/);
  });

  it("sends a request once more, on a fresh socket, when its reused socket fails before answering", async () => {
    // The second request on any socket finds it closed (as when the server's idle timeout
    // closes a kept-alive socket just as a request goes out on it).
    const { server, transport } = await setUp((req, res, _body, nth) => {
      if (nth === 2) req.socket.destroy();
      else res.end("ok");
    });
    expect(await (await transport.fetch(`${server.url}/a`)).text()).toBe("ok");
    const second = await transport.fetch(`${server.url}/b`);
    expect(await second.text()).toBe("ok");
    expect(server.seen.map((s) => [s.socket, s.nth])).toEqual([
      [0, 1],
      [0, 2],
      [1, 1],
    ]);
  });

  it("does not resend a request whose fresh socket failed", async () => {
    const { server, transport } = await setUp((req) => req.socket.destroy());
    await expect(transport.fetch(`${server.url}/a`)).rejects.toThrow(/socket hang up/);
    expect(server.seen).toHaveLength(1);
  });
});
