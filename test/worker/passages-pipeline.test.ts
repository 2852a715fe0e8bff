import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { readSettings } from "../../src/config";
import { processClaimed, processEntries, roundContext } from "../../src/embedding/embed-round";
import { selectEmbedder } from "../../src/select-embedder";
import { openDb } from "../../src/storage/db";
import { claimDue, claimDueWithEntries } from "../../src/storage/queue-claim";
import { IsolateStore } from "../../src/vectors/isolate-store";
import {
  createEntry,
  embedderStats,
  embedStatus,
  makeDue,
  queueRows,
  resetEmbedder,
  send,
  worker,
} from "./helpers";

const settings = readSettings(env);
const db = openDb(env.DB);
const context = (passages = true) => ({
  ...roundContext(db, new IsolateStore(db), selectEmbedder(env, settings), settings),
  passages,
});

/** A note of `n` sections, each long enough that the note is split by section. */
const sectioned = (n: number, edited = -1) =>
  Array.from({ length: n }, (_, i) => {
    const extra = i === edited ? " This sentence was added later." : "";
    return `## Part ${i}\n\n${Array.from({ length: 8 }, (_, s) => `Part ${i} sentence ${s} about topic${i} in some detail.`).join(" ")}${extra}`;
  }).join("\n\n");

async function count(table: string, kb: string, id?: string): Promise<number> {
  const row = await env.DB.prepare(
    `SELECT count(*) AS n FROM ${table} WHERE kb_name = ? ${id ? "AND entry_id = ?" : ""}`,
  )
    .bind(...(id ? [kb, id] : [kb]))
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Every committed set is whole: as many passages as its header says, each with its vector. */
async function expectWholeSets(kb: string) {
  const { results } = await env.DB.prepare(`
    SELECT h.entry_id, h.passages AS said,
           (SELECT count(*) FROM entry_passages p WHERE p.kb_name = h.kb_name AND p.entry_id = h.entry_id) AS listed,
           (SELECT count(*) FROM entry_passages p JOIN passage_vectors v
               ON v.kb_name = p.kb_name AND v.entry_id = p.entry_id AND v.model = p.model AND v.hash = p.hash
             WHERE p.kb_name = h.kb_name AND p.entry_id = h.entry_id) AS with_vector
      FROM entry_embeddings h WHERE h.kb_name = ?`)
    .bind(kb)
    .all<{ entry_id: string; said: number; listed: number; with_vector: number }>();
  for (const r of results) {
    expect(r.listed, r.entry_id).toBe(r.said);
    expect(r.with_vector, r.entry_id).toBe(r.said);
  }
}

beforeEach(async () => {
  await resetEmbedder();
});

describe("passages through the pipeline", () => {
  it("embeds an entry as passages with one queue row and one embed_complete that counts them", async () => {
    await createEntry({ kb: "pp", title: "Ten parts", body: sectioned(10) });
    await makeDue();
    const outcome = await processClaimed(context(), await claimDue(db, Date.now(), 60_000, 10));
    expect(outcome.completed).toHaveLength(1);
    expect(outcome.completed[0]?.passages).toEqual({ total: 10, embedded: 10, reused: 0 });
    expect(outcome.passages).toBe(10);
    expect(await queueRows()).toMatchObject([{ entry_id: "ten-parts", status: "done" }]);
    const { results } = await env.DB.prepare(
      "SELECT seq, heading_path, start, end FROM entry_passages WHERE kb_name = 'pp' ORDER BY seq",
    ).all<{ seq: number; heading_path: string; start: number; end: number }>();
    expect(results.map((r) => JSON.parse(r.heading_path))).toEqual(
      Array.from({ length: 10 }, (_, i) => [`Part ${i}`]),
    );
    const body = sectioned(10);
    expect(body.slice(results[3]?.start, results[3]?.end)).toMatch(
      /^## Part 3\n\nPart 3 sentence 0/,
    );
    await expectWholeSets("pp");
    const status = await embedStatus("pp");
    expect(status).toMatchObject({ entries: 1, embedded: 1, passages: 10 });
  });

  it("re-embeds only the edited section and reuses the other vectors", async () => {
    const before = await embedderStats();
    const res = await send("PATCH", "/api/entries/ten-parts?kb=pp", { body: sectioned(10, 4) });
    expect(res.status).toBe(200);
    await makeDue();
    const outcome = await processClaimed(context(), await claimDue(db, Date.now(), 60_000, 10));
    expect(outcome.completed[0]?.passages).toEqual({ total: 10, embedded: 1, reused: 9 });
    const after = await embedderStats();
    expect(after.texts - before.texts).toBe(1);
    // The old section's vector went with the commit; nothing else is left over.
    expect(await count("passage_vectors", "pp")).toBe(10);
    await expectWholeSets("pp");
  });

  it("commits a set only while the entry still holds the text that was split", async () => {
    await createEntry({ kb: "guard", title: "Moving target", body: sectioned(4) });
    await makeDue();
    const claim = await claimDueWithEntries(db, {
      now: Date.now(),
      leaseMs: 60_000,
      limit: 10,
      maxAttempts: 3,
    });
    // The entry changes after the claim read it, before its passages are committed.
    await send("PATCH", "/api/entries/moving-target?kb=guard", { body: sectioned(5) });
    const outcome = await processEntries(context(), claim.claimed, claim.entries, claim.vectors);
    expect(outcome.completed).toEqual([]);
    expect(outcome.dropped).toBe(1);
    expect(
      [
        await count("entry_embeddings", "guard"),
        await count("entry_passages", "guard"),
        await count("passage_vectors", "guard"),
      ],
      "nothing of the stale text is stored, not even staged vectors",
    ).toEqual([0, 0, 0]);
    // The newer version, queued by the update, embeds whole.
    await makeDue();
    const next = await processClaimed(context(), await claimDue(db, Date.now(), 60_000, 10));
    expect(next.completed[0]?.passages.total).toBe(5);
    await expectWholeSets("guard");
  });

  it("with EMBED_PASSAGES off, an entry is one passage: the whole note cut to the window", async () => {
    await createEntry({ kb: "whole", title: "Whole note", body: sectioned(10) });
    await makeDue();
    const outcome = await processClaimed(
      context(false),
      await claimDue(db, Date.now(), 60_000, 10),
    );
    expect(outcome.completed[0]?.passages).toEqual({ total: 1, embedded: 1, reused: 0 });
    const row = await env.DB.prepare(
      "SELECT start, end FROM entry_passages WHERE kb_name = 'whole'",
    ).first<{ start: number; end: number }>();
    expect(row?.start).toBe(0);
    expect(row?.end).toBeGreaterThan(100);
    expect(row?.end).toBeLessThan(sectioned(10).length);
  });
});

describe("a huge entry", () => {
  it("is embedded over several batches without holding the queue, then committed whole", {
    timeout: 120_000,
  }, async () => {
    // ≈800 KB: sections of a few paragraphs, ~600 passages at the hash embedder's 512-word window.
    const paragraph = (i: number, p: number) =>
      `Paragraph ${p} of section ${i} talks about subject${i % 97} and detail${p} at some length, ` +
      "with enough words to make a passage of its own when packed with its neighbours here. ".repeat(
        3,
      );
    const sections: string[] = [];
    for (let i = 0; sections.join("\n\n").length < 790_000; i++) {
      sections.push(`## Section ${i}\n\n${[0, 1, 2, 3].map((p) => paragraph(i, p)).join("\n\n")}`);
    }
    const body = sections.join("\n\n").slice(0, 799_000);
    await createEntry({ kb: "huge", title: "Huge", body });
    await createEntry({ kb: "huge", title: "Small after", body: "A small entry written after." });
    await makeDue();

    // One cycle: the small entry completes; the huge one progresses, is handed back, not failed.
    const first = await worker().processNow();
    expect(first).toMatchObject({ claimed: 2, embedded: 1, failed: 0 });
    const rows = await queueRows();
    expect(rows.find((r) => r.entry_id === "small-after")?.status).toBe("done");
    expect(rows.find((r) => r.entry_id === "huge")).toMatchObject({
      status: "pending",
      attempts: 0,
    });
    const staged = await count("passage_vectors", "huge", "huge");
    expect(staged).toBeGreaterThan(0);
    expect(staged).toBeLessThanOrEqual(settings.batchSize * 4);
    expect(await count("entry_passages", "huge", "huge"), "nothing searchable until whole").toBe(0);

    const calls = (await embedderStats()).calls;
    for (let i = 0; i < 200 && (await queueRows()).some((r) => r.status !== "done"); i++) {
      await runDurableObjectAlarm(worker());
    }
    const stats = await embedderStats();
    const passages = await count("entry_passages", "huge", "huge");
    expect(passages).toBeGreaterThan(500);
    // Never one giant call: every call carried at most the batch size.
    expect(stats.calls - calls).toBeGreaterThanOrEqual(
      Math.ceil((passages - staged) / settings.batchSize),
    );
    // Each distinct passage embedded exactly once across all those cycles (plus the small entry).
    expect(stats.texts).toBe((await count("passage_vectors", "huge", "huge")) + 1);
    await expectWholeSets("huge");
    const status = await embedStatus("huge");
    expect(status).toMatchObject({ entries: 2, embedded: 2, pending: 0, passages: passages + 1 });
    // Throughput is counted in passages: every one embedded in the last minute.
    expect(status.passages_last_minute).toBeGreaterThanOrEqual(passages);
  });
});
