/**
 * Meaning, end to end: with the bundled model (real weights, no download), a paraphrase that
 * shares no content word with the note finds the note and the passage that answers it, through
 * the real server (splitting, the worker, the passage index, search).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbedStatus, SearchResponse } from "../../../src/shared/api-types.js";
import { api, removeDir, startServer, type TestServer, waitFor } from "../../support/server.js";

const NOTES = [
  {
    title: "Household upkeep",
    body: [
      "## Garden",
      "Prune the roses in late winter and mulch the vegetable beds before the first frost.",
      "",
      "## Heating",
      "The boiler broke down in January and the radiators stayed cold for a week until the",
      "engineer replaced the pump.",
      "",
      "## Roof",
      "Two slates slipped in the storm; the gutter on the north side overflows when it rains.",
    ].join("\n"),
  },
  {
    title: "Kitchen notebook",
    body: [
      "## Bread",
      "A slow overnight rise in the fridge gives the loaf a better crust and a more open crumb.",
      "",
      "## Soup",
      "Roast the squash with garlic before blending it with stock and a little cream.",
    ].join("\n"),
  },
  {
    title: "Travel log",
    body: [
      "## Trains",
      "The night train to Vienna left two hours late, and the sleeper cabin was freezing.",
      "",
      "## Museums",
      "We spent a whole afternoon among the Dutch paintings at the national gallery.",
    ].join("\n"),
  },
];

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ env: { PYRITE_MODEL: "bundled" } });
  for (const note of NOTES) {
    await api(server.url, "POST", "/api/entries", { kb: "home", ...note });
  }
  await waitFor(
    async () =>
      (await api<EmbedStatus>(server.url, "GET", "/api/index/embed-status")).embedded ===
      NOTES.length,
    120_000,
    "every note embedded",
  );
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (server) await removeDir(server.stateDir);
});

describe("semantic search with the bundled model", () => {
  it("finds a note, and the passage that answers, from words the note does not use", async () => {
    const q = encodeURIComponent("our furnace failed and the house had no warmth");
    const answer = await api<SearchResponse>(
      server.url,
      "GET",
      `/api/search?q=${q}&kb=home&mode=semantic&limit=3`,
    );
    expect(answer.semantic).toBe(true);
    const [top] = answer.results;
    expect(top?.id).toBe("household-upkeep");
    expect(top?.passage?.heading_path).toEqual(["Heating"]);
    expect(top?.passage?.text).toContain("boiler broke down");
  });

  it("keyword search cannot, since no query word is in the note", async () => {
    const q = encodeURIComponent("furnace warmth");
    const answer = await api<SearchResponse>(
      server.url,
      "GET",
      `/api/search?q=${q}&kb=home&mode=keyword`,
    );
    expect(answer.results).toEqual([]);
  });
});

describe("hybrid search with the bundled model", () => {
  const hybrid = (q: string) =>
    api<SearchResponse>(
      server.url,
      "GET",
      `/api/search?q=${encodeURIComponent(q)}&kb=home&mode=hybrid&limit=5`,
    );

  it("extends keyword search: a paraphrase no keyword matches still finds its note", async () => {
    const answer = await hybrid("furnace warmth");
    expect(answer.semantic).toBe(true);
    expect(answer.degraded).toBeNull();
    const [top] = answer.results;
    expect(top?.id).toBe("household-upkeep");
    expect(top?.passage?.heading_path).toEqual(["Heating"]);
  });

  it("keeps the keyword match first, with the passage nearest the query", async () => {
    const answer = await hybrid("slates gutter");
    const [top, ...rest] = answer.results;
    expect(top?.id).toBe("household-upkeep");
    expect(top?.passage?.heading_path).toEqual(["Roof"]);
    // The notes with no keyword match follow it, ranked by meaning, never above it.
    expect(rest.map((r) => r.id).sort()).toEqual(["kitchen-notebook", "travel-log"]);
    for (const r of rest) expect(r.score).toBeLessThan(top?.score ?? 0);
  });
});
