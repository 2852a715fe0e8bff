import { describe, expect, it } from "vitest";
import {
  createHashEmbedder,
  fnv1a,
  HASH_MAX_WORDS,
  hashWords,
  truncateWords,
} from "../../../src/embedder/hash.js";
import { cosine, norm, words } from "./model.js";

describe("hash embedder", () => {
  const embedder = createHashEmbedder();

  it("is deterministic and stable across calls", async () => {
    const [a, b] = await Promise.all([
      embedder.embed(["Climate change"]),
      embedder.embed(["Climate change"]),
    ]);
    expect(Array.from(a.vectors[0] ?? [])).toEqual(Array.from(b.vectors[0] ?? []));
    // Pinned values guard against accidental changes to the hash (stored vectors depend on it).
    expect(fnv1a("w:climate")).toBe(fnv1a("w:climate"));
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
  });

  it("returns 384-dim unit vectors, empty text included", async () => {
    const { vectors } = await embedder.embed(["", "one", words(50)]);
    for (const v of vectors) {
      expect(v).toHaveLength(384);
      expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-5);
    }
    expect(await embedder.info()).toMatchObject({
      provider: "hash",
      model: { id: "hash-v1", dims: 384, pooling: "none", normalize: true },
      semantic: false,
    });
  });

  it("ranks by word overlap", async () => {
    const query = "climate change carbon emissions";
    const docs = [
      "Climate policy: cutting carbon emissions to slow climate change",
      "Tax reform and the income tax brackets for next year",
      "Immigration law, visas and border policy",
    ];
    const { vectors } = await embedder.embed([query, ...docs]);
    const [q, climate, tax, immigration] = vectors;
    if (!q || !climate || !tax || !immigration) throw new Error("missing vectors");
    expect(cosine(q, climate)).toBeGreaterThan(cosine(q, tax));
    expect(cosine(q, climate)).toBeGreaterThan(cosine(q, immigration));
    expect(cosine(q, climate)).toBeGreaterThan(0.3);
  });

  it("truncates at the word window and counts it", async () => {
    expect(truncateWords(hashWords(words(10)), 5)).toMatchObject({ truncated: true });
    const { truncated } = await embedder.embed([
      "short",
      words(HASH_MAX_WORDS + 1),
      words(HASH_MAX_WORDS),
    ]);
    expect(truncated).toEqual([1]);
  });
});
