/**
 * Runs the local server exactly as `npm start` does (`src/server/main.ts` under tsx), as a child
 * process on a free loopback port, so every figure includes the real launcher, workerd and the
 * Node embedder. (`npm start` adds one wrapper process, tsx's CLI; `node --import tsx` runs the
 * same code without it, which makes the launcher's own pid the one whose memory is sampled.)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "./paths.js";

/** A running server child. */
export interface BenchServer {
  url: string;
  /** The launcher: Node process that runs Miniflare's host side and the embedder. */
  pid: number;
  stateDir: string;
  /** workerd, a child of the launcher. */
  workerdPid(): number | undefined;
  /** Everything the server printed (stdout and stderr), for diagnostics. */
  output(): string;
  /** Graceful stop (SIGTERM: pause, drain, dispose); SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

/** How to start it. */
export interface ServerOptions {
  stateDir: string;
  modelDir: string;
  /** `[vars]` overrides (EMBED_MODE, EMBED_BATCH_SIZE, ...). */
  vars: Record<string, string>;
  startTimeoutMs?: number;
  /** The entry script; default src/server/main.ts (profiling uses bench/profile/serve.ts). */
  script?: string;
}

const running = new Set<ChildProcess>();
// A bench that dies must not leave servers behind.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** The environment of the child: the bench's, minus anything that would change what is measured. */
function childEnv(options: ServerOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith("EMBED_") || key === "PYRITE_API_TOKEN" || key === "CORS_ORIGINS") {
      delete env[key];
    }
  }
  return {
    ...env,
    PYRITE_MODEL: options.modelDir,
    PYRITE_OFFLINE: "1",
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    ...options.vars,
  };
}

/** Child pids of `pid` (from /proc/<pid>/task/<tid>/children). */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) pids.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // The process is gone, or /proc is not Linux's.
  }
  return pids;
}

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** Starts a server and resolves once it prints its URL. */
export function startServer(options: ServerOptions): Promise<BenchServer> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      options.script ?? join(PROJECT_ROOT, "src", "server", "main.ts"),
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--state",
      options.stateDir,
    ],
    { cwd: PROJECT_ROOT, env: childEnv(options), stdio: ["ignore", "pipe", "pipe"] },
  );
  running.add(child);
  let log = "";
  let exited: Promise<void> = new Promise((done) => {
    child.once("exit", () => {
      running.delete(child);
      done();
    });
  });

  const server = (url: string, pid: number): BenchServer => ({
    url,
    pid,
    stateDir: options.stateDir,
    workerdPid: () => childPids(pid).find((c) => commandName(c) === "workerd"),
    output: () => log,
    async stop(timeoutMs = 60_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
      exited = Promise.resolve();
    },
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`server did not start within ${options.startTimeoutMs ?? 120_000} ms:\n${log}`),
      );
    }, options.startTimeoutMs ?? 120_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString("utf8");
      const match = /listening on (http:\/\/[^\s]+)/.exec(log);
      if (match?.[1] && child.pid !== undefined) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.on("data", (more: Buffer) => {
          log += more.toString("utf8");
        });
        resolve(server(match[1], child.pid));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString("utf8");
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${signal ?? code}) before it was ready:\n${log}`));
    });
  });
}

/** Starts several servers at once; if any fails, stops the others and throws its error. */
export async function startServers(list: ServerOptions[]): Promise<BenchServer[]> {
  const settled = await Promise.allSettled(list.map((options) => startServer(options)));
  const started = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) {
    await Promise.all(started.map((server) => server.stop()));
    throw failed.reason;
  }
  return started;
}
