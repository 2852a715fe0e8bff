/**
 * The `pyrite` CLI against a real server: entries, background embedding with --wait, status
 * output (table and JSON), exit codes, an unreachable server, and `serve --no-worker`.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbedStatus, EntryRead, EntryWriteResult } from "../../../src/shared/api-types.js";
import {
  api,
  freePort,
  removeDir,
  runCli,
  startServer,
  type TestServer,
  tempDir,
} from "../../support/server.js";

/** What must never reach the terminal: C0 controls but tab and newline, DEL, C1, bidi overrides. */
const TERMINAL_CONTROLS = /[^\P{Cc}\t\n]|[\u202a-\u202e\u2066-\u2069]/u;

let server: TestServer;
const dirs: string[] = [];

beforeAll(async () => {
  server = await startServer();
  dirs.push(server.stateDir);
});

afterAll(async () => {
  await server?.stop();
  await Promise.all(dirs.map((dir) => removeDir(dir)));
});

describe("pyrite CLI", () => {
  it("creates entries, embeds them in the background with --wait, and reports the status", async () => {
    const url = server.url;
    // Paused so the entries are still queued when `index embed --background --wait` runs.
    expect((await runCli(["index", "pause"], { url })).code).toBe(0);
    for (let i = 0; i < 6; i++) {
      const created = await runCli(
        [
          "add",
          "--kb",
          "cli",
          "--title",
          `Note ${i}`,
          "--body",
          `text ${i}`,
          "--tags",
          "a,b",
          "--json",
        ],
        { url },
      );
      expect(created.code, created.stderr).toBe(0);
      const body: EntryWriteResult = JSON.parse(created.stdout);
      expect(body.entry.id).toBe(`note-${i}`);
      expect(body.entry.tags).toEqual(["a", "b"]);
      expect(body.embedding.status).toBe("queued");
    }
    const fromStdin = await runCli(["add", "--kb", "cli", "--title", "From stdin"], {
      url,
      input: "piped body",
    });
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    const dir = await tempDir();
    dirs.push(dir);
    const file = join(dir, "note.md");
    await writeFile(file, "---\ntitle: From file\ntags: [x]\n---\nfile body\n");
    const fromFile = await runCli(["add", "--kb", "cli", "--file", file, "--json"], { url });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toMatchObject({
      entry: { id: "from-file", title: "From file", body: "file body\n", tags: ["x"] },
    });

    expect((await runCli(["index", "resume"], { url })).code).toBe(0);
    const waited = await runCli(["index", "embed", "--background", "--wait", "--kb", "cli"], {
      url,
    });
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toContain("embedded 8/8");

    const json = await runCli(["index", "embed", "--status", "--kb", "cli", "--json"], { url });
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout) as EmbedStatus;
    expect(status.entries).toBe(8);
    expect(status.embedded).toBe(status.entries);
    expect(status.pending + status.processing + status.failed).toBe(0);

    const table = await runCli(["index", "embed", "--status"], { url });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/embedded\s+│\s+8/);
    expect(table.stdout).toContain("pyrite-test-tiny");

    // --json also after the subcommand's own options, on every command.
    for (const args of [
      ["list", "--kb", "cli", "--json"],
      ["get", "note-1", "--kb", "cli", "--json"],
      ["search", "text", "--kb", "cli", "--mode", "hybrid", "--json"],
      ["update", "note-1", "--kb", "cli", "--summary", "changed", "--json"],
      ["index", "embed", "--kb", "cli", "--json"],
      ["rm", "note-5", "--kb", "cli", "--json"],
    ]) {
      const result = await runCli(args, { url });
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
      expect(() => JSON.parse(result.stdout), args.join(" ")).not.toThrow();
    }
  }, 120_000);

  it("exits 2 on usage errors", async () => {
    const url = server.url;
    for (const args of [
      ["bogus"],
      ["list"],
      ["list", "--kb", "x", "--limit", "abc"],
      ["search", "q", "--mode", "fuzzy"],
      ["index", "embed", "--wait"],
      ["add", "--kb", "x"],
    ]) {
      const result = await runCli(args, { url });
      expect(result.code, args.join(" ")).toBe(2);
    }
  }, 60_000);

  it("add --file reads YAML frontmatter only: a ---js file is refused, its code never run", async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const marker = join(dir, "ran");
    const file = join(dir, "note.md");
    const code = `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran")`;
    await writeFile(file, `---js\n{ title: (${code}, "ran") }\n---\nbody\n`);
    const result = await runCli(["add", "--kb", "cli", "--file", file], { url: server.url });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("the frontmatter is marked 'js', not YAML");
    expect(existsSync(marker)).toBe(false);
  });

  it("exits 1 with the API's message on a failed operation", async () => {
    const result = await runCli(["get", "no-such-entry", "--kb", "cli"], { url: server.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no entry");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("strips terminal control sequences from stored text and error strings", async () => {
    const url = server.url;
    // Retitles the window, clears the screen (ESC and the one-character CSI), and rings the bell.
    const title = "Evil \u001b]0;owned\u0007\u001b[2J title \u009b31m\u202eend";
    await api(url, "POST", "/api/entries", {
      kb: "cli-esc",
      id: "evil",
      title,
      body: "line one\r\u001b[1Aline two",
    });
    for (const args of [
      ["get", "evil", "--kb", "cli-esc"],
      ["list", "--kb", "cli-esc"],
      ["search", "evil", "--kb", "cli-esc", "--mode", "keyword"],
    ]) {
      const result = await runCli(args, { url });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout, args.join(" ")).toContain("Evil");
      expect(result.stdout, args.join(" ")).not.toMatch(TERMINAL_CONTROLS);
    }
    // JSON keeps every value exactly, with the dangerous characters escaped.
    const json = await runCli(["get", "evil", "--kb", "cli-esc", "--json"], { url });
    expect(json.stdout).not.toMatch(TERMINAL_CONTROLS);
    const read: EntryRead = JSON.parse(json.stdout);
    expect(read.entry.title).toBe(title);

    // An error string from the server reaches stderr without them too.
    const hostile = createServer((_, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "x", message: "bad \u001b[2J\u009bthing" } }));
    });
    await new Promise<void>((done) => hostile.listen(0, "127.0.0.1", done));
    try {
      const address = hostile.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      const failed = await runCli(["list", "--kb", "x", "--url", `http://127.0.0.1:${port}`]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain("bad [2Jthing");
      expect(failed.stderr).not.toMatch(TERMINAL_CONTROLS);
    } finally {
      hostile.close();
    }
  });

  it("names the URL it tried when the server cannot be reached", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await runCli(["list", "--kb", "x", "--url", url]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(url);
  });

  it("serve --no-worker embeds synchronously", async () => {
    const sync = await startServer({ viaCli: true, args: ["--no-worker"] });
    dirs.push(sync.stateDir);
    try {
      expect(sync.stdout()).toContain("EMBED_MODE: sync");
      const created = await runCli(
        ["add", "--kb", "s", "--title", "Sync", "--body", "now", "--json"],
        { url: sync.url },
      );
      expect(created.code, created.stderr).toBe(0);
      expect(JSON.parse(created.stdout)).toMatchObject({ embedding: { status: "embedded" } });
      const status = await api<EmbedStatus>(sync.url, "GET", "/api/index/embed-status");
      expect(status.embedded).toBe(1);
    } finally {
      expect(await sync.stop()).toBe(0);
    }
  }, 90_000);
});
