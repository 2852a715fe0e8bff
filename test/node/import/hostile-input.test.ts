/**
 * Importer input is hostile (issue 12): frontmatter in another language is never run, YAML that
 * would expand without bound or contain itself is refused, symlinks out of the KB folder are not
 * read, and each bad file costs only itself while the good file beside it is imported.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerImportCommand } from "../../../src/cli/commands/import.js";
import { CliError } from "../../../src/cli/errors.js";
import type { ImportReport } from "../../../src/import/import-kbs.js";
import { KB_FILE_MAX_BYTES } from "../../../src/import/kb-file.js";
import { readKbs } from "../../../src/import/read-kb.js";
import { yamlLimits } from "../../../src/import/yaml.js";

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "pyrite-hostile-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes `files` (path → text) under `root/name`, with a good file beside them. */
async function kbWith(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(root, name);
  const all = { "good.md": "---\ntitle: Good\n---\nimported\n", ...files };
  for (const [rel, text] of Object.entries(all)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

/** Nine lines of YAML whose aliases expand to 10^9 strings. */
const laughs = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ..."bcdefghi".split("").map((k, i) => `${k}: &${k} [${Array(10).fill(`*${"abcdefghi"[i]}`)}]`),
].join("\n");
const billionLaughs = `---\n${laughs}\n---\nbody\n`;

/** Frontmatter in JavaScript that would write `marker` if it were ever run. */
function jsFrontmatter(language: string, marker: string): string {
  const code = `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran")`;
  return `---${language}\n{ title: (${code}, "ran") }\n---\nbody\n`;
}

async function skippedOf(dir: string) {
  const [kb] = await readKbs([dir]);
  const reasons = Object.fromEntries(
    (kb?.skipped ?? []).map((s) => [path.relative(dir, s.path), s.reason]),
  );
  return { ids: kb?.entries.map((e) => e.entry.id), reasons, kb };
}

describe("hostile frontmatter", () => {
  it("never runs frontmatter in another language: it is skipped with the language named", async () => {
    const marker = path.join(root, "js-ran");
    const dir = await kbWith("languages", {
      "js.md": jsFrontmatter("js", marker),
      "javascript.md": jsFrontmatter("javascript", marker),
      "json.md": '---json\n{"title": "JSON"}\n---\n',
      "coffee.md": "---coffee\ntitle: 'x'\n---\n",
      "toml.md": '---toml\ntitle = "TOML"\n---\n',
      "yaml.md": "---yaml\ntitle: Marked YAML\n---\n",
    });
    const { ids, reasons } = await skippedOf(dir);
    expect(existsSync(marker)).toBe(false);
    expect(ids).toEqual(["good", "marked-yaml"]);
    expect(reasons).toEqual({
      "coffee.md": "the frontmatter is marked 'coffee', not YAML; only YAML frontmatter is read",
      "javascript.md":
        "the frontmatter is marked 'javascript', not YAML; only YAML frontmatter is read",
      "js.md": "the frontmatter is marked 'js', not YAML; only YAML frontmatter is read",
      "json.md": "the frontmatter is marked 'json', not YAML; only YAML frontmatter is read",
      "toml.md": "the frontmatter is marked 'toml', not YAML; only YAML frontmatter is read",
    });
  });

  it("refuses a billion laughs and a self-referencing alias, and reads the file beside them", async () => {
    const dir = await kbWith("aliases", {
      "laughs.md": billionLaughs,
      "self.md": "---\ntitle: Self\nm: &m {self: *m}\n---\n",
      "deep-self.md": "---\ntitle: Deep\nlist: &l\n  - a\n  - {inner: [*l]}\n---\n",
      "shared.md": "---\ntitle: Shared\nx: &x {k: [1, 2]}\ny: *x\nz: *x\n---\n",
    });
    const { ids, reasons } = await skippedOf(dir);
    expect(ids).toEqual(["good", "shared"]);
    expect(reasons).toEqual({
      "laughs.md": `invalid YAML frontmatter: its aliases expand past ${yamlLimits.aliasCount} nodes (a "billion laughs" shape)`,
      "self.md": "invalid YAML frontmatter: the alias *m is inside its own anchor: a cycle",
      "deep-self.md": "invalid YAML frontmatter: the alias *l is inside its own anchor: a cycle",
    });
  }, 10_000);

  it("bounds nesting depth and frontmatter size before building values", async () => {
    const deep = yamlLimits.depth + 1;
    const dir = await kbWith("bounds", {
      "flow.md": `---\ntitle: F\nx: ${"[".repeat(deep)}${"]".repeat(deep)}\n---\n`,
      "flow-huge.md": `---\nx: ${"[".repeat(60_000)}${"]".repeat(60_000)}\n---\n`,
      "compact.md": `---\nx:\n${"- ".repeat(60_000)}y\n---\n`,
      "indented.md": `---\n${Array.from({ length: deep + 1 }, (_, i) => `${" ".repeat(i)}k:`).join("\n")}\n---\n`,
      "ok-depth.md": `---\ntitle: Ok Depth\nx: ${"[".repeat(deep - 2)}${"]".repeat(deep - 2)}\n---\n`,
      "big.md": `---\ntitle: Big\nx: "${"y".repeat(yamlLimits.bytes)}"\n---\n`,
    });
    const { ids, reasons } = await skippedOf(dir);
    expect(ids).toEqual(["good", "ok-depth"]);
    const tooDeep = `invalid YAML frontmatter: nested more than ${yamlLimits.depth} levels deep`;
    expect(reasons).toEqual({
      "big.md": `invalid YAML frontmatter: ${yamlLimits.bytes + 17} bytes of YAML; at most ${yamlLimits.bytes} are read`,
      "compact.md": tooDeep,
      "flow-huge.md": tooDeep,
      "flow.md": tooDeep,
      "indented.md": tooDeep,
    });
  }, 10_000);

  it("reads a kb.yaml billion laughs as no name, and imports the folder under its own name", async () => {
    const dir = await kbWith("laughing-kb", { "kb.yaml": `name: Laughs\n${laughs}\n` });
    const [kb] = await readKbs([dir]);
    expect(kb?.name).toBe("laughing-kb");
    expect(kb?.notes[0]).toContain("aliases expand past");
    expect(kb?.entries.map((e) => e.entry.id)).toEqual(["good"]);
  }, 10_000);
});

describe("hostile files", () => {
  it("does not follow symlinks out of the KB folder; links inside it are read", async () => {
    const outside = path.join(root, "outside");
    await mkdir(path.join(outside, "folder"), { recursive: true });
    await writeFile(path.join(outside, "credentials"), "aws_secret_access_key = SECRET\n");
    await writeFile(path.join(outside, "folder/leak.md"), "---\ntitle: Leak SECRET\n---\n");
    const dir = await kbWith("links", { ".drafts/inside.md": "---\ntitle: Inside\n---\n" });
    await symlink(path.join(outside, "credentials"), path.join(dir, "notes.md"));
    await symlink(path.join(outside, "folder"), path.join(dir, "linked"));
    await symlink("../links/.drafts/inside.md", path.join(dir, "inside-link.md"));
    await symlink(path.join(root, "nowhere.md"), path.join(dir, "dangling.md"));

    const { ids, reasons, kb } = await skippedOf(dir);
    expect(ids).toEqual(["good", "inside"]);
    expect(reasons).toEqual({
      linked: `a symlink to ${path.join(outside, "folder")}, outside the KB folder ${dir}; not read`,
      "notes.md": `a symlink to ${path.join(outside, "credentials")}, outside the KB folder ${dir}; not read`,
    });
    expect(JSON.stringify(kb?.entries)).not.toContain("SECRET");
  });

  it("skips a file over the size bound unread", async () => {
    const dir = await kbWith("large", {
      "huge.md": `---\ntitle: Huge\n---\n${"x".repeat(KB_FILE_MAX_BYTES)}`,
    });
    const { ids, reasons } = await skippedOf(dir);
    expect(ids).toEqual(["good"]);
    expect(reasons).toEqual({
      "huge.md": `the file is ${KB_FILE_MAX_BYTES + 20} bytes; files over ${KB_FILE_MAX_BYTES} are not read`,
    });
  });
});

describe("pyrite import --dry-run on a hostile folder", () => {
  it("reports every bad file with its reason, runs nothing, and would import the good one", async () => {
    const marker = path.join(root, "cli-ran");
    const dir = await kbWith("cli", {
      "js.md": jsFrontmatter("js", marker),
      "laughs.md": billionLaughs,
      "self.md": "---\nm: &m {self: *m}\n---\n",
    });
    const secret = path.join(root, "cli-secret");
    await writeFile(secret, "aws_secret_access_key = SECRET\n");
    await symlink(secret, path.join(dir, "notes.md"));

    const program = new Command("pyrite").exitOverride().option("--url <url>").option("--json");
    registerImportCommand(program);
    let stdout = "";
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    // Nothing listens on the URL: a dry run sends nothing.
    const args = ["--url", "http://127.0.0.1:9", "--json", "import", "--dry-run", dir];
    const error = await program
      .parseAsync(["node", "pyrite", ...args])
      .then(
        () => undefined,
        (err: unknown) => err,
      )
      .finally(() => spy.mockRestore());
    expect(error).toBeInstanceOf(CliError);
    expect(error).toHaveProperty("message", "4 files were not imported (listed above)");

    const report = JSON.parse(stdout) as ImportReport;
    expect(existsSync(marker)).toBe(false);
    expect(report.kbs[0]).toMatchObject({ files: 5, imported: 1 });
    expect(report.kbs[0]?.skipped.map((s) => [path.basename(s.path), s.reason])).toEqual([
      ["notes.md", expect.stringContaining("outside the KB folder")],
      ["js.md", expect.stringContaining("marked 'js', not YAML")],
      ["laughs.md", expect.stringContaining("aliases expand past")],
      ["self.md", expect.stringContaining("a cycle")],
    ]);
  }, 10_000);
});
