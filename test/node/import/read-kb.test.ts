import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFrontmatter } from "../../../src/import/frontmatter.js";
import { normalizeEntryId, normalizeKbName } from "../../../src/import/normalize.js";
import { findKbDirs, type KbRead, readKbs } from "../../../src/import/read-kb.js";
import { fileToEntry } from "../../../src/import/to-entry.js";

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "pyrite-import-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes files (path → text or bytes) under a fresh folder and returns it. */
async function kbFolder(name: string, files: Record<string, string | Uint8Array>) {
  const dir = path.join(root, name);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return dir;
}

function entryAt(kb: KbRead | undefined, rel: string) {
  return kb?.entries.find((e) => e.path.endsWith(rel))?.entry;
}

const nested = `---
id: agile-manifesto
title: "Manifesto for Agile Software Development"
type: writing
importance: 10
tags:
- manifesto
- 2001
date: 2001-02-13
links:
- target: snowbird-meeting-2001
  relation: produced_at
  kb: agile
- target: kent-beck
  relation: signed_by
metadata:
  key_writings: &w
  - xp-explained
  research_status: draft
key_writings: *w
---

Produced at the [[snowbird-meeting-2001]] by [[kent-beck|Kent Beck]] and others.
`;

describe("fileToEntry", () => {
  it("maps pyrite's fields and keeps every other field, nested ones included, as metadata", () => {
    const out = fileToEntry(nested, "agile-manifesto.md");
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.entry).toEqual({
      id: "agile-manifesto",
      title: "Manifesto for Agile Software Development",
      entry_type: "writing",
      importance: 10,
      tags: ["manifesto", "2001"],
      body: "Produced at the [[snowbird-meeting-2001]] by [[kent-beck|Kent Beck]] and others.",
      metadata: {
        date: "2001-02-13",
        links: [
          { target: "snowbird-meeting-2001", relation: "produced_at", kb: "agile" },
          { target: "kent-beck", relation: "signed_by" },
        ],
        key_writings: ["xp-explained"],
        research_status: "draft",
      },
    });
    expect(out.warnings).toEqual(["tags: the number 2001 kept as the tag '2001'"]);
    // Round trip through JSON is exact.
    expect(JSON.parse(JSON.stringify(out.entry))).toEqual(out.entry);
  });

  it("leaves optional fields out when the frontmatter has only a title", () => {
    const out = fileToEntry("---\ntitle: Only A Title\n---\nBody.\n", "x.md");
    expect(out).toEqual({
      ok: true,
      entry: { id: "only-a-title", title: "Only A Title", body: "Body.", metadata: {} },
      warnings: [],
    });
  });

  it("reads a file without frontmatter: title from the first heading, else the file name", () => {
    const heading = fileToEntry("Intro line\n\n# The Real Title\n\ntext", "file-name.md");
    expect(heading).toMatchObject({
      ok: true,
      entry: {
        id: "the-real-title",
        title: "The Real Title",
        body: "Intro line\n\n# The Real Title\n\ntext",
      },
    });
    const bare = fileToEntry("just text, no heading", "My Note.md");
    expect(bare).toMatchObject({ ok: true, entry: { id: "my-note", title: "My Note" } });
  });

  it("reports malformed YAML with its position in the file", () => {
    const out = fileToEntry("---\ntitle: ok\ntags: [unclosed\n---\nbody", "bad.md");
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.reason).toMatch(/^invalid YAML frontmatter: .*line \d+/);
  });

  it("rejects frontmatter that is not a mapping", () => {
    expect(fileToEntry("---\n- a\n- b\n---\nbody", "list.md")).toEqual({
      ok: false,
      reason: "the frontmatter is a YAML list, not a mapping of fields",
    });
  });

  it("repairs a closing fence glued to the last value (as pyrite reads it), with a warning", () => {
    const text =
      "---\nid: glued\ntitle: Glued\nresearch_status: partial---\n\n\n\n## Source\n\n|  |  |\n| --- | --- |\n";
    const out = fileToEntry(text, "glued.md");
    expect(out).toMatchObject({
      ok: true,
      entry: { id: "glued", metadata: { research_status: "partial" } },
    });
    if (!out.ok) return;
    expect(out.entry.body.startsWith("## Source")).toBe(true);
    expect(out.warnings[0]).toContain("glued to 'research_status: partial---'");
  });

  it("reads a quoted value that goes on at the start of a line as one value, with a warning", () => {
    const text =
      "---\nid: q\ntitle: \"Practitioners in an\nR&D Setting\"\nnote: 'it''s\nlong'\n---\nbody";
    expect(fileToEntry(text, "q.md")).toEqual({
      ok: true,
      entry: {
        id: "q",
        title: "Practitioners in an R&D Setting",
        body: "body",
        metadata: { note: "it's long" },
      },
      warnings: [
        "a quoted value goes on at the start of line 4, 6; read it as one value, as pyrite does",
      ],
    });
  });

  it("reads YAML 1.1 as pyrite does, through a BOM and CRLF; `----` is a rule, not a fence", () => {
    const crlf = "\uFEFF---yaml\r\ntitle: T\r\nflag: yes\r\nmode: 0755\r\n---\r\nbody\r\n";
    expect(fileToEntry(crlf, "t.md")).toMatchObject({
      ok: true,
      entry: { title: "T", body: "body", metadata: { flag: true, mode: 0o755 } },
    });
    const rule = fileToEntry("----\ntitle: no\n----\ntext", "rule.md");
    expect(rule).toMatchObject({
      ok: true,
      entry: { title: "rule", body: "----\ntitle: no\n----\ntext" },
    });
  });

  it("normalizes ids and types, clamps importance, drops what cannot be tags", () => {
    const out = fileToEntry(
      "---\nid: 'Weird Id/With Slashes'\ntitle: T\ntype: Cascade Event\nimportance: 12.4\ntags: [ok, {a: 1}, null, '']\n---\n",
      "w.md",
    );
    expect(out).toMatchObject({
      ok: true,
      entry: {
        id: "Weird-Id-With-Slashes",
        entry_type: "cascade_event",
        importance: 10,
        tags: ["ok"],
      },
    });
    if (!out.ok) return;
    expect(out.warnings).toHaveLength(5);
    const drop = fileToEntry("---\ntitle: T\nimportance: high\n---\n", "d.md");
    expect(drop.ok && drop.entry.importance).toBe(undefined);
  });

  it("skips a body over the API's 1 MiB limit, saying how big it is", () => {
    const out = fileToEntry(`---\ntitle: Huge\n---\n${"x".repeat(1024 * 1024 + 10)}`, "huge.md");
    expect(out).toEqual({
      ok: false,
      reason: "the body is 1048586 bytes; the API takes at most 800000",
    });
  });

  it("keeps dates with a time as full ISO strings", () => {
    const { data } = parseFrontmatter("---\nwhen: 2001-02-13 10:30:00\n---\n");
    const out = fileToEntry("---\ntitle: T\nwhen: 2001-02-13T10:30:00Z\n---\n", "t.md");
    expect(data.when).toBeInstanceOf(Date);
    expect(out.ok && out.entry.metadata.when).toBe("2001-02-13T10:30:00.000Z");
  });
});

describe("names", () => {
  it("normalizes KB names and ids to the API's rules, keeping valid ones", () => {
    expect(normalizeKbName("red-rock-eater")).toBe("red-rock-eater");
    expect(normalizeKbName("My KB (2024)")).toBe("my-kb-2024");
    expect(normalizeKbName("___")).toBeUndefined();
    expect(normalizeEntryId("ok_id.v2")).toBe("ok_id.v2");
    expect(normalizeEntryId("-lead/and trail-")).toBe("lead-and-trail");
  });
});

describe("readKbs", () => {
  it("reads every markdown file below the KB, skipping hidden folders, README and templates", async () => {
    const dir = await kbFolder("layout", {
      "kb.yaml": "name: Layout KB\ndescription: x\n",
      "concepts/one.md": "---\ntitle: One\n---\n",
      "concepts/deep/two.md": "---\ntitle: Two\n---\n",
      "README.md": "# About this KB\n",
      ".research/hidden.md": "---\ntitle: Hidden\n---\n",
      "_templates/t.md": "---\ntitle: Template\n---\n",
      "notes/readme.MD": "not an entry",
      "notes/three.MD": "# Three\n",
    });
    const [kb] = await readKbs([dir]);
    expect(kb?.name).toBe("layout-kb");
    expect(kb?.notes[0]).toContain("normalized to 'layout-kb'");
    // In path order: concepts/deep/two.md sorts before concepts/one.md.
    expect(kb?.entries.map((e) => e.entry.id)).toEqual(["two", "one", "three"]);
    expect(kb?.files).toBe(3);
  });

  it("names a KB from its folder without kb.yaml, and --kb overrides both", async () => {
    const dir = await kbFolder("folder_named", { "a.md": "# A\n" });
    expect((await readKbs([dir]))[0]?.name).toBe("folder_named");
    expect((await readKbs([dir], { kb: "chosen" }))[0]?.name).toBe("chosen");
  });

  it("reports unreadable and unparsable files with their paths, and reads the rest", async () => {
    const dir = await kbFolder("messy", {
      "good.md": "---\ntitle: Good\n---\nfine",
      "broken.md": '---\ntitle: "unterminated\n---\nbody',
      "binary.md": new Uint8Array([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0xfe, 0x0a]),
    });
    const [kb] = await readKbs([dir]);
    expect(kb?.entries.map((e) => e.entry.id)).toEqual(["good"]);
    expect(kb?.skipped).toEqual([
      { path: path.join(dir, "binary.md"), reason: "cannot read: not valid UTF-8 text" },
      {
        path: path.join(dir, "broken.md"),
        reason: expect.stringMatching(/^invalid YAML frontmatter/),
      },
    ]);
  });

  it("imports the first of two files with the same id and skips the other, naming both", async () => {
    const dir = await kbFolder("dups", {
      "organizations/same.md": "---\nid: same\ntitle: Org\n---\n",
      "writings/same.md": "---\nid: same\ntitle: Writing\n---\n",
      "writings/slug.md": "---\ntitle: Same\n---\n",
    });
    const [kb] = await readKbs([dir]);
    expect(entryAt(kb, "organizations/same.md")?.title).toBe("Org");
    expect(kb?.skipped.map((s) => s.path)).toEqual([
      path.join(dir, "writings/same.md"),
      path.join(dir, "writings/slug.md"),
    ]);
    expect(kb?.skipped[0]?.reason).toBe(
      `duplicate id 'same': ${path.join(dir, "organizations/same.md")} has it too and is imported`,
    );
  });

  it("treats a folder of KB folders as several KBs", async () => {
    const parent = await kbFolder("many", {
      "first/kb.yaml": "name: first\n",
      "first/a.md": "# A\n",
      "second/kb.yaml": "name: second\n",
      "second/b.md": "# B\n",
    });
    expect(await findKbDirs(parent)).toEqual([
      path.join(parent, "first"),
      path.join(parent, "second"),
    ]);
    expect((await readKbs([parent])).map((k) => [k.name, k.entries.length])).toEqual([
      ["first", 1],
      ["second", 1],
    ]);
  });
});
