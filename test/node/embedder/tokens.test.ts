/**
 * The token estimate the worker sizes passages with, and the model facts the embedder reports for
 * it over the protocol.
 */
import { describe, expect, it } from "vitest";
import { isEmbedderInfo } from "../../../src/embedder/protocol.js";
import { estimateTokens } from "../../../src/embedder/tokens.js";
import { BUNDLED_INFO } from "../../../src/node/bundled-embedder.js";

describe("token estimates", () => {
  it("counts words and punctuation, scaled by the model's tokens per word", () => {
    expect(estimateTokens("")).toBe(2);
    expect(estimateTokens("Carbon pricing, targets.")).toBe(Math.ceil(5 * 1.3) + 2);
    expect(estimateTokens("Carbon pricing, targets.", 1.6)).toBe(Math.ceil(5 * 1.6) + 2);
  });

  it("crosses the protocol with the bundled model's window and tokens per word", () => {
    expect(isEmbedderInfo(JSON.parse(JSON.stringify(BUNDLED_INFO)))).toBe(true);
    expect(BUNDLED_INFO).toMatchObject({ maxTokens: 128, tokensPerWord: 1.6, semantic: true });
    expect(isEmbedderInfo({ ...BUNDLED_INFO, tokensPerWord: 0 })).toBe(false);
    expect(isEmbedderInfo({ ...BUNDLED_INFO, provider: "guess" })).toBe(false);
  });
});
