import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ErrorBody } from "../../src/shared/api-types";
import type { TestEnv } from "./app-fetch";
import { api, controlEmbedder, createEntry, resetEmbedder, worker } from "./helpers";

type SearchBody = {
  results: { id: string; kb_name: string; snippet: string; score: number }[];
  semantic: boolean;
  model: string | null;
  semantic_coverage: { embedded: number; entries: number; ratio: number } | null;
  degraded: { code: string; message: string } | null;
};

async function search(query: string, withEnv?: TestEnv): Promise<SearchBody> {
  const res = await api(`/api/search?${query}`, {}, withEnv);
  expect(res.status).toBe(200);
  return res.json();
}

beforeAll(async () => {
  await resetEmbedder();
  await createEntry({
    kb: "policy",
    title: "Climate Policy",
    summary: "Climate change mitigation through carbon pricing",
    body: "Carbon emissions targets, climate change adaptation and the energy transition.",
  });
  await createEntry({
    kb: "policy",
    title: "Tax Reform",
    body: "Income tax brackets, deductions and the corporate rate.",
  });
  await createEntry({
    kb: "policy",
    title: "Immigration Policy",
    body: "Visa quotas, asylum procedures and border administration.",
  });
  for (let i = 0; i < 12; i++) {
    await createEntry({ kb: "pages", title: `Garden note ${i}`, body: `garden soil compost ${i}` });
  }
  await createEntry({ kb: "other", title: "Climate elsewhere", body: "climate in another kb" });
});

describe("keyword search (FTS5)", () => {
  it("ranks by bm25 with title weighted, and returns snippets", async () => {
    const body = await search("q=climate&kb=policy");
    expect(body.results[0]?.id).toBe("climate-policy");
    expect(body.results[0]?.snippet).toMatch(/\[climate\]/i);
    expect(body.results.map((r) => r.id)).not.toContain("tax-reform");
  });

  it("treats query syntax as plain words (no FTS5 injection)", async () => {
    const body = await search(`q=${encodeURIComponent('climate" OR body:* NEAR(')}&kb=policy`);
    expect(body.results[0]?.id).toBe("climate-policy");
  });

  it("filters by kb", async () => {
    const body = await search("q=climate&kb=other");
    expect(body.results.map((r) => r.kb_name)).toEqual(["other"]);
  });

  it("pages without overlap", async () => {
    const first = await search("q=garden&kb=pages&limit=5&offset=0");
    const second = await search("q=garden&kb=pages&limit=5&offset=5");
    expect(first.results).toHaveLength(5);
    expect(second.results).toHaveLength(5);
    const overlap = first.results.filter((a) => second.results.some((b) => b.id === a.id));
    expect(overlap).toEqual([]);
  });

  it("pages the any-term fallback too, when no entry has every term", async () => {
    const first = await search("q=garden+zebra&kb=pages&limit=5&offset=0");
    const second = await search("q=garden+zebra&kb=pages&limit=5&offset=5");
    expect(first.results).toHaveLength(5);
    expect(second.results).toHaveLength(5);
    const overlap = first.results.filter((a) => second.results.some((b) => b.id === a.id));
    expect(overlap).toEqual([]);
  });

  it("rejects a bad mode or missing q with 400", async () => {
    expect((await api("/api/search?q=x&mode=fuzzy")).status).toBe(400);
    expect((await api("/api/search")).status).toBe(400);
  });
});

describe("semantic and hybrid search", () => {
  it("admits partial coverage before anything is embedded", async () => {
    const body = await search("q=climate&kb=policy&mode=semantic");
    expect(body.results).toEqual([]);
    expect(body.semantic_coverage).toMatchObject({ embedded: 0, entries: 3, ratio: 0 });
  });

  it("ranks the climate entry first for pyrite's own query", async () => {
    await runDurableObjectAlarm(worker());
    const body = await search(
      `q=${encodeURIComponent("climate change carbon emissions")}&kb=policy&mode=semantic`,
    );
    expect(body.results.map((r) => r.id)[0]).toBe("climate-policy");
    expect(body.results).toHaveLength(3);
    expect(body.semantic_coverage).toMatchObject({ embedded: 3, entries: 3, ratio: 1 });
    // The test embedder is the lexical hash provider, and the response says so.
    expect(body.semantic).toBe(false);
    expect(body.model).toContain("hash");
  });

  it("hybrid fuses keyword and semantic ranks", async () => {
    const body = await search(`q=${encodeURIComponent("carbon pricing")}&kb=policy&mode=hybrid`);
    expect(body.results[0]?.id).toBe("climate-policy");
    const scores = body.results.map((r) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it("with a non-semantic embedder, hybrid is keyword search, page by page", async () => {
    for (const page of ["limit=5&offset=0", "limit=5&offset=5", "limit=4&offset=9"]) {
      const q = `q=${encodeURIComponent("compost 7 zebra")}&kb=pages&${page}`;
      const keyword = await search(`${q}&mode=keyword`);
      const hybrid = await search(`${q}&mode=hybrid`);
      expect(hybrid.semantic).toBe(false);
      expect(hybrid.results.length).toBeGreaterThan(0);
      expect(hybrid.results.map((r) => r.id)).toEqual(keyword.results.map((r) => r.id));
    }
  });

  it("semantic pages do not overlap", async () => {
    const first = await search("q=garden&kb=pages&mode=semantic&limit=6&offset=0");
    const second = await search("q=garden&kb=pages&mode=semantic&limit=6&offset=6");
    expect(first.results).toHaveLength(6);
    expect(second.results).toHaveLength(6);
    expect(first.results.filter((a) => second.results.some((b) => b.id === a.id))).toEqual([]);
  });

  it("never returns a deleted entry", async () => {
    await createEntry({ kb: "gone", title: "Vanishing act", body: "vanishing" });
    await runDurableObjectAlarm(worker());
    expect((await search("q=vanishing&kb=gone&mode=semantic")).results).toHaveLength(1);
    await api("/api/entries/vanishing-act?kb=gone", { method: "DELETE" });
    expect((await search("q=vanishing&kb=gone&mode=semantic")).results).toEqual([]);
  });
});

describe("bounded reads", () => {
  it("caps the offset with a clear 400, in every mode", async () => {
    for (const mode of ["keyword", "semantic", "hybrid"]) {
      const res = await api(`/api/search?q=garden&mode=${mode}&offset=1001`);
      expect(res.status).toBe(400);
      const body = await res.json<ErrorBody>();
      expect(body.error.code).toBe("invalid_request");
      expect(body.error.message).toContain("offset");
    }
    expect((await search("q=garden&kb=pages&mode=hybrid&offset=1000")).results).toEqual([]);
  });

  it("hybrid pages carry keyword snippets, computed for the page only", async () => {
    const body = await search("q=garden+compost&kb=pages&mode=hybrid&limit=3&offset=2");
    expect(body.results).toHaveLength(3);
    for (const r of body.results) expect(r.snippet).toMatch(/\[(garden|compost)\]/i);
  });

  it("an excerpt is the body's head, cut at 200 characters", async () => {
    const body = `${"word ".repeat(50_000)}needle`;
    await createEntry({ kb: "long", title: "Long body", body });
    await runDurableObjectAlarm(worker());
    const [hit] = (await search("q=long+body&kb=long&mode=semantic")).results;
    expect(hit?.snippet).toBe(`${"word ".repeat(40).slice(0, 200)}…`);
  });
});

describe("when the embedder is down", () => {
  // A fresh env object per test: its embedder has nothing cached, and a short search deadline.
  const quick = (): TestEnv => ({ ...env, SEARCH_EMBED_TIMEOUT_MS: "300" });
  afterEach(resetEmbedder);

  it("hybrid answers from keywords alone and says so when the embedder never answers", async () => {
    await controlEmbedder({ freeze: true });
    const body = await search("q=climate&kb=policy&mode=hybrid", quick());
    expect(body.results[0]?.id).toBe("climate-policy");
    expect(body.results[0]?.snippet).toMatch(/\[climate\]/i);
    expect(body.semantic).toBe(false);
    expect(body.semantic_coverage).toBeNull();
    expect(body.degraded?.code).toBe("embedder_unavailable");
    expect(body.degraded?.message).toMatch(/did not answer within 300 ms/);
  });

  it("hybrid degrades too when the embedder freezes after it was known", async () => {
    const known = quick();
    expect((await search("q=climate&kb=policy&mode=hybrid", known)).degraded).toBeNull();
    await controlEmbedder({ freeze: true });
    const body = await search("q=carbon+pricing&kb=policy&mode=hybrid", known);
    expect(body.results.map((r) => r.id)).toEqual(["climate-policy"]);
    expect(body.degraded?.code).toBe("embedder_unavailable");
  });

  it("hybrid degrades when the embedder fails outright", async () => {
    await controlEmbedder({ failNext: 1 });
    const body = await search("q=climate&kb=policy&mode=hybrid", quick());
    expect(body.results[0]?.id).toBe("climate-policy");
    expect(body.degraded).toMatchObject({ code: "embedder_unavailable" });
    expect(body.degraded?.message).toContain("injected failure");
  });

  it("semantic answers 503 embedder_unavailable", async () => {
    await controlEmbedder({ freeze: true });
    const res = await api("/api/search?q=climate&kb=policy&mode=semantic", {}, quick());
    expect(res.status).toBe(503);
    const body = await res.json<ErrorBody>();
    expect(body.error.code).toBe("embedder_unavailable");
  });

  it("keyword search never asks the embedder", async () => {
    await controlEmbedder({ freeze: true });
    const body = await search("q=climate&kb=policy&mode=keyword", quick());
    expect(body.results[0]?.id).toBe("climate-policy");
    expect(body.degraded).toBeNull();
  });
});
