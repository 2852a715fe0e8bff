import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { ServerMessage } from "../../src/shared/messages";
import { api, controlEmbedder, createEntry, resetEmbedder, until, worker } from "./helpers";

beforeEach(resetEmbedder);

/** Opens /ws and records what arrives. */
async function connect(query = "") {
  const res = await api(`/ws${query}`, { headers: { Upgrade: "websocket" } });
  expect(res.status).toBe(101);
  const ws = res.webSocket;
  if (!ws) throw new Error("no WebSocket in the upgrade response");
  const messages: ServerMessage[] = [];
  const raw: string[] = [];
  ws.addEventListener("message", (event) => {
    const text = typeof event.data === "string" ? event.data : "";
    raw.push(text);
    messages.push(JSON.parse(text) as ServerMessage);
  });
  ws.accept();
  await until(async () => messages.some((m) => m.type === "hello"), "hello");
  return { ws, messages, raw };
}

const ofType = <T extends ServerMessage["type"]>(messages: ServerMessage[], type: T) =>
  messages.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);

describe("GET /ws", () => {
  it("rejects a plain GET with 426", async () => {
    const res = await api("/ws");
    expect(res.status).toBe(426);
    expect(await res.json()).toMatchObject({ error: { code: "upgrade_required" } });
  });

  it("sends entry events, then embed_complete after the vector is committed", async () => {
    const all = await connect();
    const { entry } = await createEntry({ kb: "ws", title: "Live" });
    await until(async () => ofType(all.messages, "entry_created").length > 0, "entry_created");
    expect(ofType(all.messages, "entry_created")[0]).toMatchObject({
      kb_name: "ws",
      entry_id: "live",
      content_hash: entry.content_hash,
    });

    await runDurableObjectAlarm(worker());
    await until(async () => ofType(all.messages, "embed_complete").length > 0, "embed_complete");
    const complete = ofType(all.messages, "embed_complete")[0];
    expect(complete).toMatchObject({
      type: "embed_complete",
      kb_name: "ws",
      entry_id: "live",
      content_hash: entry.content_hash,
      attempts: 1,
    });
    expect(typeof complete?.model).toBe("string");
    // Sent only after the commit: the vector is there when the event is.
    const stored = await env.DB.prepare(
      "SELECT content_hash FROM entry_embeddings WHERE kb_name = 'ws' AND entry_id = 'live'",
    ).first<{ content_hash: string }>();
    expect(stored?.content_hash).toBe(entry.content_hash);
    all.ws.close(1000, "done");
  });

  it("filters by KB through ?kb=", async () => {
    const onlyA = await connect("?kb=alpha");
    const all = await connect();
    await createEntry({ kb: "alpha", title: "In A" });
    await createEntry({ kb: "beta", title: "In B" });
    await runDurableObjectAlarm(worker());
    await until(async () => ofType(all.messages, "embed_complete").length >= 2, "both events");
    await until(async () => ofType(onlyA.messages, "embed_complete").length >= 1, "alpha's event");
    expect(onlyA.messages.filter((m) => "kb_name" in m && m.kb_name === "beta")).toEqual([]);
    expect(ofType(onlyA.messages, "embed_complete")).toHaveLength(1);
  });

  it("sends embed_failed on a terminal failure, with the error", async () => {
    const all = await connect("?kb=failing");
    await controlEmbedder({ failTexts: ["never"] });
    await createEntry({ kb: "failing", title: "never works" });
    for (let i = 0; i < 3; i++) {
      await env.DB.prepare(
        "UPDATE embed_queue SET next_attempt_at = 0 WHERE status = 'pending'",
      ).run();
      await runDurableObjectAlarm(worker());
    }
    await until(async () => ofType(all.messages, "embed_failed").length > 0, "embed_failed");
    expect(ofType(all.messages, "embed_failed")[0]).toMatchObject({
      entry_id: "never-works",
      attempts: 3,
      error: expect.stringContaining("injected"),
    });
  });

  it("answers ping with pong", async () => {
    const client = await connect();
    client.ws.send(JSON.stringify({ type: "ping" }));
    await until(async () => ofType(client.messages, "pong").length > 0, "pong");
  });

  it("keeps subscriptions in the runtime's socket tags, which survive hibernation", async () => {
    // The pool cannot force hibernation; what makes delivery survive it is that the object keeps
    // no per-socket memory: subscriptions are tags the runtime persists with each socket.
    const client = await connect("?kb=sleepy");
    const tags = await runInDurableObject(worker(), (_, state) =>
      state.getWebSockets("kb:sleepy").map((ws) => state.getTags(ws)),
    );
    expect(tags).toEqual([["kb:sleepy"]]);
    await createEntry({ kb: "sleepy", title: "Tagged delivery" });
    await runDurableObjectAlarm(worker());
    await until(async () => ofType(client.messages, "embed_complete").length > 0, "embed_complete");
  });

  it("reciprocates a close without a code safely", async () => {
    const client = await connect();
    client.ws.close();
    // The object must survive that close and keep serving.
    await createEntry({ kb: "after-close", title: "Still works" });
    const status = await api("/api/index/embed-status");
    expect(status.status).toBe(200);
  });
});
