import { describe, expect, it } from "vitest";
import { busyRetryAfterMs, DEFAULT_RETRY_AFTER_MS } from "../../../src/embedder/backpressure.js";
import { estimateTokens } from "../../../src/embedder/tokens.js";
import { createWorkersAiEmbedder } from "../../../src/embedder/workers-ai.js";
import { norm, words } from "./model.js";

/** A fake `AI` binding answering the documented BGE response shape. */
function fakeAi(respond: (texts: string[]) => unknown) {
  const calls: { model: string; input: { text: string[]; pooling?: string } }[] = [];
  return {
    calls,
    ai: {
      run: async (model: string, input: { text: string[]; pooling?: "mean" | "cls" }) => {
        calls.push({ model, input });
        return respond(input.text);
      },
    },
  };
}

const row = (seed: number, dims = 384) =>
  Array.from({ length: dims }, (_, i) => Math.sin(seed + i) * 3);

describe("workers-ai embedder", () => {
  it("asks for CLS pooling, normalizes, and fingerprints with the model name", async () => {
    const { ai, calls } = fakeAi((texts) => ({
      shape: [texts.length, 384],
      data: texts.map((_, i) => row(i)),
      pooling: "cls",
    }));
    const embedder = createWorkersAiEmbedder(ai);
    const batch = await embedder.embed(["a", "b"]);
    expect(calls[0]).toEqual({
      model: "@cf/baai/bge-small-en-v1.5",
      input: { text: ["a", "b"], pooling: "cls" },
    });
    expect(batch.vectors).toHaveLength(2);
    for (const v of batch.vectors) expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-5);
    expect(await embedder.info()).toEqual({
      provider: "workers-ai",
      model: { id: "@cf/baai/bge-small-en-v1.5", dims: 384, pooling: "cls", normalize: true },
      semantic: true,
      maxTokens: 512,
    });
  });

  it("splits large batches into calls of at most 100 texts", async () => {
    const { ai, calls } = fakeAi((texts) => ({
      shape: [texts.length, 384],
      data: texts.map((_, i) => row(i)),
    }));
    const batch = await createWorkersAiEmbedder(ai).embed(
      Array.from({ length: 250 }, (_, i) => `text ${i}`),
    );
    expect(calls.map((c) => c.input.text.length)).toEqual([100, 100, 50]);
    expect(batch.vectors).toHaveLength(250);
  });

  it("estimates truncation at the 512-token window", async () => {
    const { ai } = fakeAi((texts) => ({
      shape: [texts.length, 384],
      data: texts.map((_, i) => row(i)),
    }));
    const batch = await createWorkersAiEmbedder(ai).embed(["short", words(600)]);
    expect(batch.truncated).toEqual([1]);
    expect(estimateTokens("hello world")).toBe(4);
  });

  it("rejects a wrong-dimension response", async () => {
    const { ai } = fakeAi((texts) => ({
      shape: [texts.length, 383],
      data: texts.map((_, i) => row(i, 383)),
    }));
    await expect(createWorkersAiEmbedder(ai).embed(["a"])).rejects.toThrow(/shape \[1, 383\]/);
    const noShape = fakeAi((texts) => ({ data: texts.map((_, i) => row(i, 383)) }));
    await expect(createWorkersAiEmbedder(noShape.ai).embed(["a"])).rejects.toThrow(/383-dimension/);
  });

  it("rejects NaN, missing data, wrong count and a different pooling", async () => {
    const nan = fakeAi(() => ({ shape: [1, 384], data: [[Number.NaN, ...row(0, 383)]] }));
    await expect(createWorkersAiEmbedder(nan.ai).embed(["a"])).rejects.toThrow(/non-finite/);
    const empty = fakeAi(() => ({ request_id: "queued" }));
    await expect(createWorkersAiEmbedder(empty.ai).embed(["a"])).rejects.toThrow(/data missing/);
    const short = fakeAi(() => ({ data: [row(0)] }));
    await expect(createWorkersAiEmbedder(short.ai).embed(["a", "b"])).rejects.toThrow(
      /1 vectors for 2 texts/,
    );
    const mean = fakeAi(() => ({ data: [row(0)], pooling: "mean" }));
    await expect(createWorkersAiEmbedder(mean.ai).embed(["a"])).rejects.toThrow(
      /pooled with "mean"/,
    );
  });

  it("needs dims for an unknown model", () => {
    const { ai } = fakeAi(() => ({}));
    expect(() => createWorkersAiEmbedder(ai, "@cf/some/other-model")).toThrow(/pass dims/);
    expect(() => createWorkersAiEmbedder(ai, "@cf/some/other-model", 256)).not.toThrow();
  });

  it("turns Workers AI's 429 and 503 into backpressure with their Retry-After, and nothing else", async () => {
    const failing = (message: string, extra: Record<string, unknown> = {}) =>
      createWorkersAiEmbedder({
        run: async () => {
          throw Object.assign(new Error(message), extra);
        },
      });
    const busy = async (message: string, extra?: Record<string, unknown>) =>
      busyRetryAfterMs(
        await failing(message, extra)
          .embed(["a"])
          .catch((err: unknown) => err),
      );

    expect(await busy("3040: Out of capacity (429 Too Many Requests; Retry-After: 3)")).toBe(3000);
    expect(await busy("503 Service Unavailable", { retryAfter: "0.5" })).toBe(500);
    expect(await busy("3040: Out of capacity")).toBe(DEFAULT_RETRY_AFTER_MS);
    expect(await busy("5000: Internal server error (500)")).toBeUndefined();
    expect(await busy("3007: Request timeout (408)")).toBeUndefined();
  });
});
