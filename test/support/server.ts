/**
 * Starts a real local server for Node-side tests: the launcher (`src/server/main.ts`, or the CLI's
 * `serve`) as a child process on a free loopback port, with a temporary state directory and the
 * generated tiny model; waits until it is up; stops it by signal. Also runs the CLI.
 *
 * The child is `node --import tsx …` rather than the `tsx` binary: the binary adds a parent
 * process, and a SIGKILL sent to that parent would leave the real server running.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { generateTestModel } from "../../scripts/model/generate.js";
import { parseErrorBody } from "../../src/shared/schemas/error.js";

/** The project root. */
export const ROOT = resolve(import.meta.dirname, "..", "..");

/** A free loopback port (bound, read and released). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** A fresh temporary directory. */
export function tempDir(prefix = "pyrite-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** The generated tiny model's directory (generated once, then cached). */
export async function tinyModelDir(): Promise<string> {
  return (await generateTestModel({ size: "tiny" })).dir;
}

/** A running test server. */
export interface TestServer {
  url: string;
  port: number;
  stateDir: string;
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null if killed by a signal). */
  exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How to start a server. */
export interface StartOptions {
  stateDir?: string;
  port?: number;
  /** Extra environment (merged over a quiet default). */
  env?: Record<string, string>;
  /** Extra arguments. */
  args?: string[];
  /** Run `pyrite serve` (bin/pyrite.mjs) instead of `src/server/main.ts`. */
  viaCli?: boolean;
  timeoutMs?: number;
}

/** Every server spawned by this process, killed if the test process exits first (a timeout). */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Spawns the launcher and leaves it running (for tests of start-up failures too). */
export async function spawnServer(options: StartOptions = {}) {
  const port = options.port ?? (await freePort());
  const stateDir = options.stateDir ?? (await tempDir("pyrite-state-"));
  const entry = options.viaCli
    ? ["bin/pyrite.mjs", "serve"]
    : ["--import", "tsx", "src/server/main.ts"];
  const child = spawn(
    process.execPath,
    [...entry, "--port", String(port), "--state", stateDir, ...(options.args ?? [])],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        PYRITE_MODEL: await tinyModelDir(),
        PYRITE_OFFLINE: "1",
        ...options.env,
      },
    },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  live.add(child);
  const exited = new Promise<number | null>((done) =>
    child.once("exit", (code) => {
      live.delete(child);
      done(code);
    }),
  );
  return { child, port, stateDir, exited, stdout: () => out, stderr: () => err };
}

/** Starts a server and waits until it prints its URL and answers /health. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const spawned = await spawnServer(options);
  const { child, port, exited } = spawned;
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  for (;;) {
    if (dead) throw new Error(`server exited during start-up:\n${spawned.stderr()}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start in time:\n${spawned.stdout()}\n${spawned.stderr()}`);
    }
    if (spawned.stdout().includes("listening on")) {
      const ok = await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    url,
    port,
    stateDir: spawned.stateDir,
    process: child,
    stdout: spawned.stdout,
    stderr: spawned.stderr,
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Removes a state directory. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** The result of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `pyrite …args` against `url` (nothing on stdin unless `input` is given). */
export function runCli(
  args: string[],
  options: { url?: string; env?: Record<string, string>; input?: string } = {},
): Promise<CliResult> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      ["bin/pyrite.mjs", ...args],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          ...(options.url ? { PYRITE_URL: options.url } : {}),
          ...options.env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === "number" ? error.code : error ? 1 : 0;
        done({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? "");
  });
}

/** JSON request helper against a test server. */
export async function api<T>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    const error = parseErrorBody(text, response.status);
    throw new Error(`${method} ${path}: ${response.status} ${error.code}: ${error.message}`);
  }
  return JSON.parse(text) as T;
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
