/**
 * `pyrite sync` against a real server: a first sync that owns its KB (a dry run lists the delete
 * first), then `sync --watch` following edits, creates, deletes, a rename that keeps the id and an
 * editor's atomic save, with the matching events and `embed_complete`; writes through the API
 * reaching the files; and a change on both sides reported as a conflict with nothing lost.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Entry, EntryRead } from "../../../src/shared/api-types.js";
import {
  api,
  ROOT,
  removeDir,
  runCli,
  startServer,
  type TestServer,
  tempDir,
  waitFor,
} from "../../support/server.js";

let server: TestServer;
let kbDir: string;
let watcher: { child: ChildProcess; lines: Record<string, unknown>[]; stderr: () => string };

const KB = "synctest";

function note(id: string, title: string, body: string, extra = ""): string {
  return `---\nid: ${id}\ntitle: ${title}\ntype: note\n${extra}---\n\n${body}\n`;
}

async function write(rel: string, text: string) {
  const file = path.join(kbDir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

const exists = (rel: string) =>
  stat(path.join(kbDir, rel)).then(
    () => true,
    () => false,
  );

async function entry(id: string, kb = KB): Promise<Entry | undefined> {
  const response = await fetch(`${server.url}/api/entries/${id}?kb=${kb}`);
  if (response.status === 404) return undefined;
  return ((await response.json()) as EntryRead).entry;
}

/** Waits until the watcher has printed a line matching `match`; returns it. */
async function line(match: Record<string, unknown>, what: string) {
  let found: Record<string, unknown> | undefined;
  await waitFor(
    async () => {
      found = watcher.lines.find((l) => Object.entries(match).every(([k, v]) => l[k] === v));
      return found !== undefined;
    },
    30_000,
    `${what} (stderr: ${watcher.stderr()})`,
  );
  return found as Record<string, unknown>;
}

function startWatch(): typeof watcher {
  const child = spawn(process.execPath, ["bin/pyrite.mjs", "--json", "sync", kbDir, "--watch"], {
    cwd: ROOT,
    env: { ...process.env, PYRITE_URL: server.url },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let buffer = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    for (const part of parts)
      if (part.trim()) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  return { child, lines, stderr: () => err };
}

beforeAll(async () => {
  server = await startServer();
  kbDir = await tempDir("pyrite-sync-");
  await write("kb.yaml", `name: ${KB}\ntypes:\n  note:\n    subdirectory: notes\n`);
  await write("notes/a.md", note("a", "Alpha", "The first note."));
  await write("notes/b.md", note("b", "Beta", "The second note.", "tags:\n- two\n"));
  await write("notes/c.md", note("c", "Gamma", "The third note."));
  // A stray entry in the KB the folder owns, and one in a KB it does not.
  await api(server.url, "POST", "/api/entries", { kb: KB, id: "stray", title: "Stray" });
  await api(server.url, "POST", "/api/entries", { kb: "elsewhere", id: "keep", title: "Keep" });
});

afterAll(async () => {
  if (watcher && watcher.child.exitCode === null) watcher.child.kill("SIGKILL");
  await server?.stop();
  await removeDir(server?.stateDir ?? "");
  await rm(kbDir, { recursive: true, force: true });
});

describe("pyrite sync", () => {
  it("lists what a first sync would change, deletes first, and changes nothing", async () => {
    const dry = await runCli(["--json", "sync", kbDir, "--dry-run"], { url: server.url });
    expect(dry.code, dry.stderr).toBe(0);
    const events = dry.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.type === "sync");
    expect(events[0]).toMatchObject({ action: "delete", id: "stray", dry_run: true });
    expect(events.slice(1).map((e) => [e.action, e.id])).toEqual([
      ["create", "a"],
      ["create", "b"],
      ["create", "c"],
    ]);
    expect(await entry("stray")).toBeDefined();
    expect(await entry("a")).toBeUndefined();
  });

  it("follows the folder with --watch: edits, creates, deletes, renames, atomic saves", async () => {
    watcher = startWatch();
    await line({ type: "watching" }, "the watcher to start");
    // The first pass mirrored the folder: the stray entry is gone, the other KB untouched.
    expect(await entry("stray")).toBeUndefined();
    expect(await entry("keep", "elsewhere")).toBeDefined();
    expect((await entry("b"))?.tags).toEqual(["two"]);

    await write("notes/a.md", note("a", "Alpha", "The first note, edited in place."));
    await line({ type: "sync", action: "update", id: "a" }, "the edit to be sent");
    const edited = await entry("a");
    expect(edited?.body).toBe("The first note, edited in place.");
    // The edit's own embedding, not the one of the text the first sync sent.
    await line(
      { type: "embed_complete", entry_id: "a", content_hash: edited?.content_hash },
      "a's embed_complete for the edited text",
    );

    await write("notes/d.md", note("d", "Delta", "A new note."));
    await line({ type: "sync", action: "create", id: "d" }, "the new file to be sent");
    expect((await entry("d"))?.title).toBe("Delta");

    await rm(path.join(kbDir, "notes/c.md"));
    await line({ type: "sync", action: "delete", id: "c" }, "the removed file's entry deleted");
    expect(await entry("c")).toBeUndefined();

    const before = await entry("b");
    await mkdir(path.join(kbDir, "notes/archive"));
    await rename(path.join(kbDir, "notes/b.md"), path.join(kbDir, "notes/archive/b.md"));
    await line({ type: "sync", action: "rename", id: "b" }, "the rename");
    expect(watcher.lines.some((l) => l.id === "b" && l.action === "delete")).toBe(false);
    expect((await entry("b"))?.created_at).toBe(before?.created_at);

    // An editor's atomic save: the new text goes to a temporary file renamed over the old one.
    const temp = path.join(kbDir, "notes/.a.md.swp");
    await writeFile(temp, note("a", "Alpha", "Saved atomically."));
    await rename(temp, path.join(kbDir, "notes/a.md"));
    await waitFor(
      async () => (await entry("a"))?.body === "Saved atomically.",
      30_000,
      "atomic save",
    );
  });

  it("writes changes made through the API back to the files", async () => {
    await api(server.url, "POST", "/api/entries", {
      kb: KB,
      title: "From the API",
      body: "Written by a client.",
      tags: ["api"],
      metadata: { source: "rest", when: "2024-01-05" },
    });
    await waitFor(() => exists("notes/from-the-api.md"), 30_000, "the new entry's file");
    const created = await readFile(path.join(kbDir, "notes/from-the-api.md"), "utf8");
    expect(created).toContain("Written by a client.");
    expect(created).toContain("source: rest");

    await api(server.url, "PATCH", `/api/entries/d?kb=${KB}`, { body: "Changed by a client." });
    await waitFor(
      async () =>
        (await readFile(path.join(kbDir, "notes/d.md"), "utf8")).includes("Changed by a client."),
      30_000,
      "the patched entry's file",
    );

    await api(server.url, "DELETE", `/api/entries/a?kb=${KB}`);
    await waitFor(
      async () => !(await exists("notes/a.md")),
      30_000,
      "the deleted entry's file gone",
    );
    // The service's own writes came back as files, not as new pushes.
    expect(watcher.lines.some((l) => l.id === "from-the-api" && l.action === "create")).toBe(false);
    expect(await entry("from-the-api")).toBeDefined();

    watcher.child.kill("SIGINT");
    expect(await new Promise((done) => watcher.child.once("exit", done))).toBe(0);
  });

  it("reports a change on both sides as a conflict, keeps both, and settles when resolved", async () => {
    const file = path.join(kbDir, "notes/archive/b.md");
    await writeFile(file, note("b", "Beta", "Edited in the folder.", "tags:\n- two\n"));
    await api(server.url, "PATCH", `/api/entries/b?kb=${KB}`, { body: "Edited on the server." });

    const first = await runCli(["sync", kbDir], { url: server.url });
    expect(first.code).toBe(1);
    expect(first.stdout).toContain("conflict");
    expect(first.stderr).toContain("to resolve notes/archive/b.md");
    // Neither side was overwritten; the server's version waits beside the file.
    expect(await readFile(file, "utf8")).toContain("Edited in the folder.");
    expect((await entry("b"))?.body).toBe("Edited on the server.");
    expect(await readFile(`${file}.server`, "utf8")).toContain("Edited on the server.");

    // Still in conflict until the copy is dealt with; then the file is the truth.
    expect((await runCli(["sync", kbDir], { url: server.url })).code).toBe(1);
    await rm(`${file}.server`);
    const resolved = await runCli(["sync", kbDir], { url: server.url });
    expect(resolved.code, resolved.stderr).toBe(0);
    expect((await entry("b"))?.body).toBe("Edited in the folder.");
    const again = await runCli(["sync", kbDir], { url: server.url });
    expect(again.stdout).toContain("made 0 changes");
  });
});
