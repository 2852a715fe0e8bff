import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { SearchResult } from "../../src/shared/api-types";
import { api, createEntry, resetEmbedder, worker } from "./helpers";

type Body = {
  results: SearchResult[];
  semantic: boolean;
  semantic_coverage: { embedded: number; entries: number } | null;
};

async function search(query: string): Promise<Body> {
  const res = await api(`/api/search?${query}`);
  expect(res.status).toBe(200);
  return res.json();
}

async function drain() {
  for (let i = 0; i < 20; i++) await runDurableObjectAlarm(worker());
}

const filler = (topic: string) =>
  Array.from(
    { length: 12 },
    (_, i) => `The ${topic} notes go on, line ${i}, with plain words.`,
  ).join(" ");

const atlas = [
  `# Rivers\n\n${filler("river")} Deltas form where rivers meet the sea.`,
  `# Volcanoes\n\n${filler("mountain")} Lava and ash erupt from the volcano crater.`,
  `# Deserts\n\n${filler("desert")} Dunes drift across the sand.`,
].join("\n\n");

beforeAll(async () => {
  await resetEmbedder();
  await createEntry({ kb: "atlas", title: "Atlas", body: atlas });
  await createEntry({ kb: "atlas", title: "Lava lamps", body: "A lamp with wax that rises." });
  await drain();
});

describe("search returns the passage", () => {
  it("semantic: the entry's best passage, with its heading path and span", async () => {
    const body = await search("q=volcano+crater+lava+erupt&kb=atlas&mode=semantic");
    const top = body.results[0];
    expect(top?.id).toBe("atlas");
    expect(top?.passage?.heading_path).toEqual(["Volcanoes"]);
    expect(top?.passage?.text).toContain("Lava and ash erupt");
    expect(top?.passage?.text).not.toContain("Dunes");
    expect(atlas.slice(top?.passage?.start, top?.passage?.end)).toBe(top?.passage?.text);
    // An entry is one result however many of its passages matched.
    expect(body.results.filter((r) => r.id === "atlas")).toHaveLength(1);
  });

  it("hybrid with a non-semantic embedder is keyword search, with passages", async () => {
    const keyword = await search("q=lava&kb=atlas&mode=keyword");
    const hybrid = await search("q=lava&kb=atlas&mode=hybrid");
    expect(hybrid.semantic).toBe(false);
    expect(hybrid.results.map((r) => r.id)).toEqual(keyword.results.map((r) => r.id));
    const atlasHit = hybrid.results.find((r) => r.id === "atlas");
    expect(atlasHit?.passage?.heading_path).toEqual(["Volcanoes"]);
    expect(keyword.results.every((r) => r.passage === undefined)).toBe(true);
  });

  it("an entry edited since its passages were embedded has no passage until re-embedded", async () => {
    await api("/api/entries/lava-lamps?kb=atlas", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ body: "A lamp with wax that rises and falls." }),
    });
    const before = await search("q=lamp+wax&kb=atlas&mode=semantic");
    expect(before.results.find((r) => r.id === "lava-lamps")?.passage).toBeNull();
    await drain();
    const after = await search("q=lamp+wax&kb=atlas&mode=semantic");
    expect(after.results.find((r) => r.id === "lava-lamps")?.passage?.text).toBe(
      "A lamp with wax that rises and falls.",
    );
  });
});

describe("deleted entries leave the semantic index at once (issue 12)", () => {
  it("deleting the best matches does not empty the next page of results", async () => {
    for (let i = 0; i < 40; i++)
      await createEntry({ kb: "zeta", title: `Zeta ${i}`, body: "zeta" });
    for (let i = 0; i < 8; i++) {
      await createEntry({
        kb: "zeta",
        title: `Kept ${i}`,
        body: `zeta among other words: alpha beta gamma delta epsilon ${i}`,
      });
    }
    await drain();
    const before = await search("q=zeta&kb=zeta&mode=semantic&limit=5");
    expect(before.results.every((r) => r.id.startsWith("zeta-"))).toBe(true);
    for (let i = 0; i < 40; i++) await api(`/api/entries/zeta-${i}?kb=zeta`, { method: "DELETE" });
    const after = await search("q=zeta&kb=zeta&mode=semantic&limit=5");
    expect(after.results).toHaveLength(5);
    expect(after.results.every((r) => r.id.startsWith("kept-"))).toBe(true);
    expect(after.semantic_coverage).toMatchObject({ embedded: 8, entries: 8 });
  });
});
