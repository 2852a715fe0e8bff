import { describe, expect, it } from "vitest";
import { importKbs, type SendBulk, type SendResult } from "../../../src/import/import-kbs.js";
import type { KbRead } from "../../../src/import/read-kb.js";
import { BATCH_BYTES, jsonBytes } from "../../../src/import/requests.js";
import type { ImportEntry } from "../../../src/import/to-entry.js";

function kbOf(entries: ImportEntry[], name = "kb"): KbRead {
  return {
    name,
    dirs: [`/tmp/${name}`],
    notes: [],
    files: entries.length,
    entries: entries.map((entry) => ({ path: `/tmp/${name}/${entry.id}.md`, entry })),
    skipped: [],
    warnings: [],
  };
}

function entries(n: number, body = ""): ImportEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `e${i}`,
    title: `E ${i}`,
    body,
    metadata: {},
  }));
}

/** A sender that accepts everything, recording each request, unless `answer` says otherwise. */
function recorder(answer?: (entries: ImportEntry[], call: number) => SendResult | undefined) {
  const calls: ImportEntry[][] = [];
  const send: SendBulk = async (body) => {
    calls.push(body.entries);
    const custom = answer?.(body.entries, calls.length);
    if (custom) return custom;
    return {
      ok: true,
      result: {
        created: body.entries.length,
        updated: 0,
        unchanged: 0,
        ids: body.entries.map((e) => e.id),
        queued: body.entries.length,
        embed_mode: "background",
        embedded: 0,
      },
    };
  };
  return { calls, send };
}

const noSleep = async () => undefined;

describe("importKbs", () => {
  it("sends batches of at most 500 entries", async () => {
    const { calls, send } = recorder();
    const report = await importKbs([kbOf(entries(1200))], { send, mode: "upsert", dryRun: false });
    expect(calls.map((c) => c.length)).toEqual([500, 500, 200]);
    expect(report.kbs[0]).toMatchObject({ imported: 1200, created: 1200, skipped: [] });
  });

  it("keeps each request well under 2 MiB", async () => {
    const { calls, send } = recorder();
    await importKbs([kbOf(entries(9, "x".repeat(400 * 1024)))], {
      send,
      mode: "upsert",
      dryRun: false,
    });
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) expect(jsonBytes(call)).toBeLessThanOrEqual(BATCH_BYTES + 1024);
  });

  it("sets aside entries the API's rules refuse, before sending", async () => {
    const { calls, send } = recorder();
    const bad = { id: "bad", title: "Bad", body: "", tags: ["x".repeat(101)], metadata: {} };
    const report = await importKbs([kbOf([...entries(2), bad])], {
      send,
      mode: "upsert",
      dryRun: false,
    });
    expect(calls[0]?.map((e) => e.id)).toEqual(["e0", "e1"]);
    expect(report.kbs[0]?.skipped).toEqual([
      {
        path: "/tmp/kb/bad.md",
        reason: expect.stringContaining("rejected by the API's rules: tags.0"),
      },
    ]);
  });

  it("skips the items a 400 names, with the API's reasons, and resends the rest", async () => {
    const { calls, send } = recorder((_batch, call) =>
      call === 1
        ? {
            ok: false,
            status: 400,
            code: "invalid_entries",
            message: "1 of 3 entries are invalid",
            details: [{ index: 1, errors: [{ path: "title", message: "title is required" }] }],
          }
        : undefined,
    );
    const report = await importKbs([kbOf(entries(3))], { send, mode: "upsert", dryRun: false });
    expect(calls.map((c) => c.map((e) => e.id))).toEqual([
      ["e0", "e1", "e2"],
      ["e0", "e2"],
    ]);
    expect(report.kbs[0]).toMatchObject({
      imported: 2,
      skipped: [{ path: "/tmp/kb/e1.md", reason: "rejected by the API: title: title is required" }],
    });
  });

  it("create mode: existing ids are skipped, the rest created", async () => {
    const { send } = recorder((_, call) =>
      call === 1
        ? {
            ok: false,
            status: 409,
            code: "entries_exist",
            message: "exists",
            details: [{ index: 0, kb: "kb", id: "e0" }],
          }
        : undefined,
    );
    const report = await importKbs([kbOf(entries(2))], { send, mode: "create", dryRun: false });
    expect(report.kbs[0]).toMatchObject({ created: 1, skipped: [{ path: "/tmp/kb/e0.md" }] });
  });

  it("halves a batch the server finds too large", async () => {
    const { calls, send } = recorder((batch) =>
      batch.length > 2
        ? { ok: false, status: 413, code: "payload_too_large", message: "too large" }
        : undefined,
    );
    const report = await importKbs([kbOf(entries(5))], { send, mode: "upsert", dryRun: false });
    expect(calls.map((c) => c.length)).toEqual([5, 3, 2, 1, 2]);
    expect(report.kbs[0]?.imported).toBe(5);
  });

  it("retries an unreachable server, then reports the batch's files as skipped", async () => {
    const { calls, send } = recorder(() => ({
      ok: false,
      status: 0,
      code: "unreachable",
      message: "connect ECONNREFUSED",
    }));
    const report = await importKbs([kbOf(entries(2))], {
      send,
      mode: "upsert",
      dryRun: false,
      sleep: noSleep,
    });
    expect(calls).toHaveLength(3);
    expect(report.kbs[0]?.skipped).toEqual([
      { path: "/tmp/kb/e0.md", reason: "not sent: connect ECONNREFUSED" },
      { path: "/tmp/kb/e1.md", reason: "not sent: connect ECONNREFUSED" },
    ]);
  });

  it("a dry run sends nothing and counts what would be imported", async () => {
    const { calls, send } = recorder();
    const report = await importKbs([kbOf(entries(3))], { send, mode: "upsert", dryRun: true });
    expect(calls).toEqual([]);
    expect(report).toMatchObject({ dry_run: true, kbs: [{ imported: 3, created: 0 }] });
  });
});
