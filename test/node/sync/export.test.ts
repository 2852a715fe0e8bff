/**
 * `pyrite export` against a real server: a generated KB with the real corpus's quirks (nested
 * metadata that disagrees with the top level, dates, a closing fence glued to a value, no
 * frontmatter, numeric tags, strings YAML 1.1 would misread, bodies with rules and wikilinks)
 * goes import → export → import into a second KB, and the two KBs hold the same entries.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffEntries } from "../../../src/export/round-trip.js";
import type { ImportReport } from "../../../src/import/import-kbs.js";
import type { Entry, EntryList } from "../../../src/shared/api-types.js";
import { withBody } from "../../../src/sync/remote.js";
import {
  api,
  removeDir,
  runCli,
  startServer,
  type TestServer,
  tempDir,
} from "../../support/server.js";

let server: TestServer;
let root: string;

const FILES: Record<string, string> = {
  "kb.yaml": "name: quirks\ntypes:\n  person:\n    subdirectory: people\n",
  "people/ada.md": `---
id: ada
title: "Ada Lovelace"
type: person
importance: 9
tags:
- mathematics
- 1843
role: "Analyst; first programmer"
born: 1815-12-10
updated: 2024-03-01T10:30:00Z
aliases: [Countess of Lovelace, "yes", "012"]
answer: no
metadata:
  role: "Older role"
  sources: [notes.md]
---

Ada Lovelace wrote about the [[analytical-engine]].

---

A horizontal rule above, and **markdown** below.
`,
  "events/glued.md": `---
id: glued-fence
title: Glued fence
type: cascade_event
research_status: draft---

The closing fence was glued to the last value.
`,
  "notes/no-frontmatter.md":
    "# A Heading Title\n\nNo frontmatter at all; the title is the heading.\n",
  "notes/deep/nested.md": `---
title: "Übersicht: Ñandú & 💡"
summary: "A summary: with a colon"
tags: one, two ,three
importance: "7"
multi: |
  line one
  line two
empty:
nested: {a: [1, 2.5, {b: null}], c: "~"}
---


Leading blank lines and trailing spaces go, as the importer reads them.   
`,
};

function entriesOf(kb: string): Promise<Entry[]> {
  return api<EntryList>(server.url, "GET", `/api/entries?kb=${kb}&limit=500&fields=body`).then(
    (l) => l.entries.map(withBody),
  );
}

beforeAll(async () => {
  server = await startServer();
  root = await tempDir("pyrite-export-");
  for (const [rel, text] of Object.entries(FILES)) {
    const file = path.join(root, "kb", rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
});

afterAll(async () => {
  await server?.stop();
  await removeDir(server?.stateDir ?? "");
  await removeDir(root ?? "");
});

describe("pyrite export", () => {
  it("round-trips a KB through import → export → import without loss", async () => {
    const url = server.url;
    const imported = await runCli(["import", path.join(root, "kb")], { url });
    expect(imported.code, imported.stderr).toBe(0);
    const original = await entriesOf("quirks");
    expect(original).toHaveLength(4);

    const out = path.join(root, "out");
    const exported = await runCli(["export", "quirks", out], { url });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain("exported 4 entries of quirks");
    // pyrite's layout: the KB's type folders, one file per entry, every field in the frontmatter.
    const ada = await readFile(path.join(out, "people/ada.md"), "utf8");
    expect(ada).toMatch(/^---\nid: ada\ntitle: Ada Lovelace\ntype: person\n/);
    expect(ada).toContain("importance: 9");
    expect(ada).toContain("Ada Lovelace wrote about the [[analytical-engine]].");
    expect(await readFile(path.join(out, "cascade_events/glued-fence.md"), "utf8")).toContain(
      "research_status: draft",
    );
    expect(await readFile(path.join(out, "kb.yaml"), "utf8")).toContain("name: quirks");

    const again = await runCli(["import", out, "--kb", "quirks-again"], { url });
    expect(again.code, again.stderr).toBe(0);
    const back = await entriesOf("quirks-again");
    expect(diffEntries(original, back)).toEqual([]);
    // The quirks survived as the importer first read them.
    const byId = new Map(back.map((e) => [e.id, e]));
    expect(byId.get("ada")?.metadata).toMatchObject({
      born: "1815-12-10",
      aliases: ["Countess of Lovelace", "yes", "012"],
      metadata: { role: "Older role" },
      sources: ["notes.md"],
    });
    expect(byId.get("ada")?.tags).toEqual(["mathematics", "1843"]);
    expect(byId.get("a-heading-title")?.title).toBe("A Heading Title");

    // Importing the export over the original changes nothing.
    const over = await runCli(["--json", "import", out, "--kb", "quirks"], { url });
    const report = JSON.parse(over.stdout) as ImportReport;
    expect(report.kbs[0]).toMatchObject({ imported: 4, unchanged: 4, created: 0, updated: 0 });
  });

  it("refuses a KB with no entries", async () => {
    const empty = await runCli(["export", "nothing-here", path.join(root, "empty")], {
      url: server.url,
    });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("no entries");
  });
});
