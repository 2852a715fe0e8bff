import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { readSettings } from "../../src/config";
import { createEntry, drainAllShards, fakeAi, kbOfShard, queueRows } from "./helpers";

beforeEach(() => fakeAi().configure({ latencyMs: 5 }));

const words = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => `word${(i * 7 + seed) % 97}`).join(" ");

describe("EMBED_TOKENS_PER_MINUTE", () => {
  it("the embedder never gets more than the budget allows", async () => {
    const settings = readSettings(env);
    const perShard = settings.tokensPerMinute / settings.embedShards;
    const rate = perShard / 60_000; // tokens per ms
    const burst = perShard / 6; // ten seconds' worth
    const kb = kbOfShard(0);
    // ≈ 1,300 estimated tokens in one shard: well past its burst of ≈ 667.
    for (let i = 0; i < 16; i++) await createEntry({ kb, title: `Long ${i}`, body: words(40, i) });
    await drainAllShards(60);

    const { log, tokensServed } = await fakeAi().stats();
    const served = log.filter((call) => call.outcome === "served");
    const first = served[0];
    if (!first) throw new Error("nothing was served");
    const biggest = Math.max(...served.map((c) => c.tokens));
    expect(tokensServed).toBeGreaterThan(burst + biggest);
    let sent = 0;
    for (const call of served) {
      sent += call.tokens;
      // A call arrives a moment after the pacer let it go (RPC, and other rounds' work on the
      // same thread): 500 ms of slack (≈33 tokens, against ≈600 the budget held back).
      expect(sent).toBeLessThanOrEqual(burst + (call.at - first.at + 500) * rate + biggest);
    }
    expect((await queueRows()).every((r) => r.status === "done" && r.attempts === 1)).toBe(true);
  }, 60_000);
});
