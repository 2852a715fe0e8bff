/**
 * The local server as a process: start-up announcements, a graceful SIGTERM drain, a hard kill in
 * the middle of a drain, and the one-line start-up errors.
 */
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../../../src/server/state-lock.js";
import type { EmbedStatus } from "../../../src/shared/api-types.js";
import {
  api,
  freePort,
  removeDir,
  spawnServer,
  startServer,
  type TestServer,
  tempDir,
  waitFor,
} from "../../support/server.js";

const status = (url: string) => api<EmbedStatus>(url, "GET", "/api/index/embed-status");

/** Pauses the worker, writes `n` entries, resumes: a queue that is being drained right now. */
async function queueWork(url: string, kb: string, n: number): Promise<void> {
  await api(url, "POST", "/api/index/embed/pause");
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      api(url, "POST", "/api/entries", {
        kb,
        title: `Entry ${i}`,
        body: `Body of entry number ${i}. `.repeat(40),
      }),
    ),
  );
  await api(url, "POST", "/api/index/embed/resume");
}

/** Lines of stderr, ignoring Node's own warnings. */
function errorLines(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter(
      (line) =>
        line.trim() !== "" &&
        !line.includes("ExperimentalWarning") &&
        !line.includes("--trace-warnings"),
    );
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => removeDir(dir)));
});

describe("local server", () => {
  it("announces itself; SIGTERM drains; the next start resumes, unless a user had paused", async () => {
    const stateDir = await tempDir();
    dirs.push(stateDir);
    // Batches of one, so the drain is interrupted with work left.
    const env = { EMBED_BATCH_SIZE: "1" };
    let server: TestServer = await startServer({ stateDir, env });
    const out = server.stdout();
    expect(out).toContain(`listening on ${server.url}`);
    expect(out).toMatch(/embedder:\s+transformers pyrite-test-tiny/);
    expect(out).toMatch(/EMBED_MODE: background/);
    expect(out).toContain(stateDir);

    // A second server on the same state directory stops at once, naming the holder.
    const second = await spawnServer({ stateDir, env });
    expect(await second.exited).toBe(1);
    const refused = errorLines(second.stderr());
    expect(refused).toHaveLength(1);
    expect(refused[0]).toContain(
      `in use by another pyrite server (pid ${server.process.pid}, started`,
    );
    expect((await fetch(`${server.url}/health`)).ok).toBe(true);

    await queueWork(server.url, "drain", 40);
    await waitFor(async () => (await status(server.url)).embedded >= 2, 20_000, "some embedded");
    expect(await server.stop("SIGTERM")).toBe(0);
    expect(server.stderr()).toContain("nothing left processing");

    // Without a worker nothing claims rows: the status shows exactly what the stop left.
    server = await startServer({ stateDir, env, args: ["--no-worker"] });
    const left = await status(server.url);
    expect(left.processing).toBe(0);
    expect(left.pending + left.embedded).toBe(40);
    expect(await server.stop()).toBe(0);

    // The stop paused the worker for shutdown: this start resumes it and the queue drains.
    server = await startServer({ stateDir, env });
    await waitFor(async () => (await status(server.url)).embedded === 40, 30_000, "all embedded");
    const final = await status(server.url);
    expect(final.worker.state).not.toBe("paused");
    expect(final.processing + final.pending + final.failed).toBe(0);

    // A pause a user chose survives a stop: the next start leaves it alone.
    await api(server.url, "POST", "/api/index/embed/pause");
    expect(await server.stop()).toBe(0);
    server = await startServer({ stateDir, env });
    expect((await status(server.url)).worker.state).toBe("paused");
    expect(server.stdout()).toContain("paused (by a user");
    expect(await server.stop()).toBe(0);
  }, 150_000);

  it("loses nothing when killed hard in the middle of a drain", async () => {
    const stateDir = await tempDir();
    dirs.push(stateDir);
    // Short leases so rows claimed by the killed process are reclaimed quickly.
    const env = { EMBED_BATCH_SIZE: "1", EMBED_LEASE_MS: "1000" };
    let server = await startServer({ stateDir, env });
    await queueWork(server.url, "kill", 40);
    await waitFor(async () => (await status(server.url)).embedded >= 2, 20_000, "some embedded");
    const killedPid = server.process.pid;
    await server.stop("SIGKILL");
    // The killed server's lock is left behind; the next start takes it over.
    expect(JSON.parse(await readFile(join(stateDir, LOCK_FILE), "utf8")).pid).toBe(killedPid);

    server = await startServer({ stateDir, env });
    await waitFor(
      async () => (await status(server.url)).embedded === 40,
      40_000,
      "all embedded after restart",
    );
    const final = await status(server.url);
    expect(final.entries).toBe(40);
    expect(final.processing + final.pending + final.failed).toBe(0);
    expect(await server.stop()).toBe(0);
  }, 120_000);
});

describe.concurrent("start-up errors are one line and a non-zero exit", () => {
  it("with no model, no cache and no network, serves the bundled model and says it is semantic", async () => {
    const cache = await tempDir("pyrite-cache-");
    dirs.push(cache);
    const server = await startServer({
      env: { PYRITE_MODEL: "", PYRITE_MODEL_CACHE: cache, PYRITE_OFFLINE: "1" },
    });
    dirs.push(server.stateDir);
    try {
      expect(server.stdout()).toMatch(/embedder: +bundled use-lite-en\S* +\(semantic: true\)/);
      expect(server.stderr()).not.toMatch(/NO EMBEDDING MODEL/);
      const before = await status(server.url);
      expect(before).toMatchObject({ provider: "bundled", semantic: true });
      expect(before.model).toMatch(/^use-lite-en/);
      await api(server.url, "POST", "/api/entries", {
        kb: "notes",
        title: "Car trouble",
        body: "The engine would not start this morning.",
      });
      await waitFor(async () => (await status(server.url)).embedded === 1, 60_000);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("port already in use", async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(port, "127.0.0.1", done));
    try {
      const spawned = await spawnServer({ port });
      const code = await spawned.exited;
      expect(code).not.toBe(0);
      const lines = errorLines(spawned.stderr());
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`port ${port} .*already in use`));
    } finally {
      blocker.close();
    }
  });

  it("missing model directory", async () => {
    const spawned = await spawnServer({ env: { PYRITE_MODEL: "./nope" } });
    expect(await spawned.exited).not.toBe(0);
    const lines = errorLines(spawned.stderr());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("model directory not found: ./nope");
    dirs.push(spawned.stateDir);
  });

  it("unusable state directory", async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const file = join(dir, "a-file");
    await writeFile(file, "");
    const spawned = await spawnServer({ stateDir: join(file, "state") });
    expect(await spawned.exited).not.toBe(0);
    const lines = errorLines(spawned.stderr());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("state directory");
  });
});
