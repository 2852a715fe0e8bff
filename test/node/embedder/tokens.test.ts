/**
 * The token estimate the worker sizes passages with, and the model facts the embedder reports for
 * it over the protocol.
 */
import { describe, expect, it } from "vitest";
import { isEmbedderInfo } from "../../../src/embedder/protocol.js";
import { estimateTokens, tokenScale } from "../../../src/embedder/tokens.js";
import { BUNDLED_INFO } from "../../../src/node/bundled-embedder.js";

describe("token estimates", () => {
  it("counts letter runs by 4 characters, digit runs by 3, punctuation one each", () => {
    expect(estimateTokens("")).toBe(0);
    // Carbon 2, pricing 2, "," 1, targets 2, "." 1.
    expect(estimateTokens("Carbon pricing, targets.")).toBe(8);
    expect(estimateTokens("in 2024")).toBe(1 + 2);
  });

  it("scales budgets down for a tokenizer that needs more tokens per word, never up", () => {
    expect(tokenScale()).toBe(1);
    expect(tokenScale(1.3)).toBe(1);
    expect(tokenScale(1.6)).toBeCloseTo(1.48 / 1.6, 6);
  });

  it("crosses the protocol with the bundled model's window and tokens per word", () => {
    expect(isEmbedderInfo(JSON.parse(JSON.stringify(BUNDLED_INFO)))).toBe(true);
    expect(BUNDLED_INFO).toMatchObject({ maxTokens: 128, tokensPerWord: 1.6, semantic: true });
    expect(isEmbedderInfo({ ...BUNDLED_INFO, tokensPerWord: 0 })).toBe(false);
    expect(isEmbedderInfo({ ...BUNDLED_INFO, provider: "guess" })).toBe(false);
  });
});
