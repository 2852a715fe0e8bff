import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEmbedder } from "../../../src/embedder/hash.js";
import {
  decodeVectors,
  encodeVectors,
  MAX_TEXTS,
  parseTruncated,
} from "../../../src/embedder/protocol.js";
import { createRemoteEmbedder } from "../../../src/embedder/remote.js";
import type { Embedder } from "../../../src/embedder/types.js";
import { createEmbedderHandler } from "../../../src/node/embedder-handler.js";
import { type EmbedderServer, startEmbedderServer } from "../../../src/node/embedder-server.js";
import { createTransformersEmbedder } from "../../../src/node/transformers-embedder.js";
import { maxAbsDiff, tinyModelDir, words } from "./model.js";

/** A fetcher that calls the handler in-process, as a service binding would. */
function bindingTo(embedder: Embedder) {
  const handler = createEmbedderHandler(embedder);
  return {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => handler(new Request(input, init)),
  };
}

const post = (handler: ReturnType<typeof createEmbedderHandler>, body: string) =>
  handler(new Request("http://embedder/embed", { method: "POST", body }));

describe("protocol helpers", () => {
  it("round-trips float32 vectors and truncated indices", () => {
    const vectors = [Float32Array.from([1, -2.5, 3e-8]), Float32Array.from([0, 1, 2])];
    const bytes = encodeVectors(vectors, 3);
    expect(bytes.byteLength).toBe(24);
    expect(new DataView(bytes.buffer).getFloat32(4, true)).toBe(-2.5);
    expect(decodeVectors(bytes.buffer, 2, 3).map((v) => Array.from(v))).toEqual(
      vectors.map((v) => Array.from(v)),
    );
    expect(() => decodeVectors(bytes.buffer, 3, 3)).toThrow(/expected 3×3/);
    expect(parseTruncated("")).toEqual([]);
    expect(parseTruncated("0,4")).toEqual([0, 4]);
    expect(() => parseTruncated("1,x")).toThrow();
  });
});

describe("handler + remote embedder round trip", () => {
  it("serves the tiny transformers model identically to calling it directly", async () => {
    const local = await createTransformersEmbedder({ model: await tinyModelDir() });
    const remote = createRemoteEmbedder(bindingTo(local));
    expect(await remote.info()).toEqual(await local.info());
    const texts = ["i like strawberries", words(300), ""];
    const [direct, viaWire] = await Promise.all([local.embed(texts), remote.embed(texts)]);
    expect(viaWire.truncated).toEqual([1]);
    expect(viaWire.truncated).toEqual(direct.truncated);
    for (const [i, v] of direct.vectors.entries())
      expect(maxAbsDiff(v, viaWire.vectors[i] ?? [])).toBe(0);
  });

  it("splits batches above the per-request limit and offsets truncated indices", async () => {
    const remote = createRemoteEmbedder(bindingTo(createHashEmbedder()));
    const texts = Array.from({ length: MAX_TEXTS + 10 }, (_, i) =>
      i === MAX_TEXTS + 3 ? words(600) : `text ${i}`,
    );
    const batch = await remote.embed(texts);
    expect(batch.vectors).toHaveLength(texts.length);
    expect(batch.truncated).toEqual([MAX_TEXTS + 3]);
  });

  it("holds a second model on request; an embed names the model it wants", async () => {
    // The started model is the tiny transformer; `hash` is loaded on request, as a migration does.
    const started = await createTransformersEmbedder({ model: await tinyModelDir() });
    const loads: string[] = [];
    const handler = createEmbedderHandler(started, async (spec) => {
      loads.push(spec);
      if (spec !== "hash") throw new Error(`no model ${spec} here`);
      return createHashEmbedder();
    });
    const binding = {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => handler(new Request(input, init)),
    };
    const hash = createRemoteEmbedder(binding, undefined, undefined, "hash");
    const primary = createRemoteEmbedder(binding);
    expect((await hash.info()).model.id).toBe("hash-v1");
    expect((await primary.info()).model.dims).toBe(32);
    const [a, b] = await Promise.all([
      hash.embed(["a lighthouse"]),
      primary.embed(["a lighthouse"]),
    ]);
    expect(a.vectors[0]).toHaveLength(384);
    expect(b.vectors[0]).toHaveLength(32);
    // Asked again by spec or by id: the model already held, not a second load.
    await createRemoteEmbedder(binding, undefined, undefined, "hash-v1").info();
    expect(loads).toEqual(["hash"]);

    const models = (body: string) =>
      handler(new Request("http://embedder/models", { method: "POST", body }));
    const missing = await models(JSON.stringify({ model: "elsewhere" }));
    expect(missing.status).toBe(422);
    expect(await missing.json()).toMatchObject({ error: { code: "model_unavailable" } });
    expect((await models(JSON.stringify({ model: "" }))).status).toBe(400);
    const unknown = await post(handler, JSON.stringify({ texts: ["x"], model: "not|1|mean|norm" }));
    expect(unknown.status).toBe(409);
    expect(await unknown.json()).toMatchObject({ error: { code: "model_not_loaded" } });
  });

  it("answers 4xx for bad requests", async () => {
    const handler = createEmbedderHandler(createHashEmbedder());
    const cases: [Promise<Response>, number, string][] = [
      [post(handler, "not json"), 400, "bad_request"],
      [post(handler, JSON.stringify({ texts: "one" })), 400, "bad_request"],
      [post(handler, JSON.stringify({ texts: ["a", 2] })), 400, "bad_request"],
      [
        post(handler, JSON.stringify({ texts: Array.from({ length: MAX_TEXTS + 1 }, () => "x") })),
        400,
        "too_many_texts",
      ],
      [
        post(handler, JSON.stringify({ texts: ["x".repeat(4 * 1024 * 1024)] })),
        413,
        "payload_too_large",
      ],
      [handler(new Request("http://embedder/embed")), 405, "method_not_allowed"],
      [handler(new Request("http://embedder/nope")), 404, "not_found"],
    ];
    for (const [response, status, code] of cases) {
      const r = await response;
      expect(r.status).toBe(status);
      expect(await r.json()).toMatchObject({ error: { code } });
    }
  });

  it("turns a failing or NaN-producing embedder into a 5xx whose message reaches the client", async () => {
    const hash = createHashEmbedder();
    const failing: Embedder = {
      info: hash.info,
      embed: async () => Promise.reject(new Error("onnx session exploded")),
    };
    await expect(createRemoteEmbedder(bindingTo(failing)).embed(["a"])).rejects.toThrow(
      /500 embed_failed.*onnx session exploded/,
    );
    const nan: Embedder = {
      info: hash.info,
      embed: async (texts) => ({
        vectors: texts.map(() => new Float32Array(384).fill(Number.NaN)),
        truncated: [],
      }),
    };
    await expect(createRemoteEmbedder(bindingTo(nan)).embed(["a"])).rejects.toThrow(/non-finite/);
  });

  it("rejects a response whose vectors disagree with the served info", async () => {
    const hash = createHashEmbedder();
    const liar: Embedder = {
      info: async () => ({
        ...(await hash.info()),
        model: { ...(await hash.info()).model, dims: 8 },
      }),
      embed: hash.embed,
    };
    // The handler validates against its own info, so the mismatch is caught server-side.
    await expect(createRemoteEmbedder(bindingTo(liar)).embed(["a"])).rejects.toThrow(
      /384-dimension/,
    );
  });

  it("serializes concurrent embeds (one native call at a time)", async () => {
    let active = 0;
    let peak = 0;
    const hash = createHashEmbedder();
    const slow: Embedder = {
      info: hash.info,
      embed: async (texts) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 10));
        active--;
        return hash.embed(texts);
      },
    };
    const remote = createRemoteEmbedder(bindingTo(slow));
    await Promise.all([remote.embed(["a"]), remote.embed(["b"]), remote.embed(["c"])]);
    expect(peak).toBe(1);
  });
});

describe("remote embedder deadline", () => {
  it("fails a call the embedder never answers, and aborts its request", async () => {
    const signals: AbortSignal[] = [];
    const frozen = {
      fetch: (_input: RequestInfo | URL, init?: RequestInit) => {
        if (init?.signal) signals.push(init.signal);
        return new Promise<Response>(() => {});
      },
    };
    const remote = createRemoteEmbedder(frozen, "http://embedder", 50);
    await expect(remote.info()).rejects.toThrow("embedder info did not answer within 50 ms");
    expect(signals.map((s) => s.aborted)).toEqual([true]);
  });

  it("fails an embed call that hangs after info answered", async () => {
    const local = bindingTo(createHashEmbedder());
    const hangsOnEmbed = {
      fetch: (input: RequestInfo | URL, init?: RequestInit) =>
        String(input).endsWith("/embed")
          ? new Promise<Response>(() => {})
          : local.fetch(input, init),
    };
    const remote = createRemoteEmbedder(hangsOnEmbed, "http://embedder", 50);
    expect((await remote.info()).provider).toBe("hash");
    await expect(remote.embed(["a"])).rejects.toThrow("embedder embed did not answer within 50 ms");
  });
});

describe("standalone embedder server", () => {
  let server: EmbedderServer;
  beforeAll(async () => {
    server = await startEmbedderServer({ embedder: createHashEmbedder(), port: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it("speaks the protocol over loopback HTTP", async () => {
    const remote = createRemoteEmbedder({ fetch: (input, init) => fetch(input, init) }, server.url);
    expect((await remote.info()).provider).toBe("hash");
    const direct = await createHashEmbedder().embed(["over http"]);
    const viaHttp = await remote.embed(["over http"]);
    expect(maxAbsDiff(direct.vectors[0] ?? [], viaHttp.vectors[0] ?? [])).toBe(0);
    const bad = await fetch(`${server.url}/embed`, { method: "POST", body: "{" });
    expect(bad.status).toBe(400);
  });
});
