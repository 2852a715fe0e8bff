/**
 * The three-way decision: each side's change since the record wins, both changing is a conflict,
 * a run stopped anywhere converges on the next, and a file that cannot be read deletes nothing.
 */
import { describe, expect, it } from "vitest";
import type { Entry } from "../../../src/shared/api-types.js";
import {
  type LocalEntry,
  type PlanInput,
  planSync,
  type RemoteEntry,
} from "../../../src/sync/plan.js";
import type { SyncRecord } from "../../../src/sync/state.js";

const local = (id: string, hash: string, path = `notes/${id}.md`): LocalEntry => ({
  path,
  hash,
  entry: { id, title: id, body: hash, metadata: {} },
});

const remote = (id: string, hash: string): RemoteEntry => ({
  hash,
  entry: {
    kb_name: "kb",
    id,
    entry_type: "note",
    title: id,
    body: hash,
    summary: "",
    tags: [],
    importance: 5,
    metadata: {},
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    content_hash: hash,
    version: 1,
    etag: '"1.0"',
  } satisfies Entry,
});

const record = (id: string, hash: string, extra: Partial<SyncRecord> = {}): SyncRecord => ({
  path: `notes/${id}.md`,
  local: hash,
  remote: hash,
  updated_at: "2026-01-01T00:00:00Z",
  ...extra,
});

function plan(parts: Partial<PlanInput>) {
  return planSync({
    local: new Map(),
    remote: new Map(),
    records: new Map(),
    initialized: true,
    unreadable: new Set(),
    conflictFiles: new Set(),
    ...parts,
  }).map((a) => [a.kind, a.id]);
}

describe("planSync", () => {
  it("sends what changed in the folder and writes what changed on the server", () => {
    expect(
      plan({
        local: new Map([
          ["a", local("a", "a2")],
          ["b", local("b", "b1")],
        ]),
        remote: new Map([
          ["a", remote("a", "a1")],
          ["b", remote("b", "b2")],
          ["c", remote("c", "c1")],
        ]),
        records: new Map([
          ["a", record("a", "a1")],
          ["b", record("b", "b1")],
          ["c", record("c", "c1")],
        ]),
      }),
    ).toEqual([
      ["delete_remote", "c"],
      ["push", "a"],
      ["pull", "b"],
    ]);
  });

  it("takes a moved file with the same id as a rename, and an unchanged pair as nothing", () => {
    expect(
      plan({
        local: new Map([
          ["a", local("a", "a1", "archive/a.md")],
          ["b", local("b", "b1")],
        ]),
        remote: new Map([
          ["a", remote("a", "a1")],
          ["b", remote("b", "b1")],
        ]),
        records: new Map([
          ["a", record("a", "a1")],
          ["b", record("b", "b1")],
        ]),
      }),
    ).toEqual([["record", "a"]]);
  });

  it("reports a change on both sides as a conflict until its server copy is gone", () => {
    const both = {
      local: new Map([["a", local("a", "mine")]]),
      remote: new Map([["a", remote("a", "theirs")]]),
    };
    expect(plan({ ...both, records: new Map([["a", record("a", "base")]]) })).toEqual([
      ["conflict", "a"],
    ]);
    const inConflict = new Map([["a", record("a", "base", { remote: "theirs", conflict: true })]]);
    expect(
      plan({ ...both, records: inConflict, conflictFiles: new Set(["notes/a.md.server"]) }),
    ).toEqual([["unresolved", "a"]]);
    expect(plan({ ...both, records: inConflict })).toEqual([["push", "a"]]);
  });

  it("converges after a run that stopped before recording what it did", () => {
    // Sent (or written) but not recorded: both sides agree, so it is only recorded.
    expect(
      plan({
        local: new Map([["a", local("a", "new")]]),
        remote: new Map([["a", remote("a", "new")]]),
        records: new Map([["a", record("a", "old")]]),
      }),
    ).toEqual([["record", "a"]]);
    // Deleted on one side and the other before recording: forgotten.
    expect(plan({ records: new Map([["a", record("a", "old")]]) })).toEqual([["forget", "a"]]);
  });

  it("lets the folder own its KB before the first sync, and pulls new server entries after", () => {
    const remoteOnly = { remote: new Map([["x", remote("x", "x1")]]) };
    expect(plan({ ...remoteOnly, initialized: false })).toEqual([["delete_remote", "x"]]);
    expect(plan({ ...remoteOnly, initialized: true })).toEqual([["pull", "x"]]);
  });

  it("deletes nothing for a file that exists but cannot be read", () => {
    expect(
      plan({
        remote: new Map([["a", remote("a", "a1")]]),
        records: new Map([["a", record("a", "a1")]]),
        unreadable: new Set(["notes/a.md"]),
      }),
    ).toEqual([["unreadable", "a"]]);
  });
});
