/**
 * Starts the whole local system: the worker on workerd through Miniflare (options derived from
 * wrangler.toml), persisted state, D1 migrations, the Node embedder behind `EMBEDDER`, and the
 * cron safety net that Miniflare does not run by itself.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmbedderHandler } from "../node/embedder-handler.js";
import { nodeModelLoader } from "../node/model-loader.js";
import type { ResolvedEmbedder } from "../node/resolve-model.js";
import { useEmbedder } from "../node/use-embedder.js";
import { bindHosts } from "./bind-hosts.js";
import { bundleWorker } from "./bundle.js";
import { embedderNice, lowerOwnPriority } from "./embedder-priority.js";
import { oneLine, StartupError } from "./errors.js";
import { guardRuntime } from "./runtime-guard.js";
import { type DrainReport, drainForShutdown, resumeAfterShutdown } from "./shutdown.js";
import { withoutNewSignalListeners, withoutNewSignalListenersAsync } from "./signals.js";
import { prepareStateDir } from "./state-dir.js";
import { lockStateDir, type StateLock } from "./state-lock.js";
import { type LauncherStatus, workerApi } from "./worker-api.js";

/** How the server is started. */
export interface LaunchOptions {
  host: string;
  port: number;
  stateDir: string;
  /** `--no-worker`: EMBED_MODE=sync, the seed's single-request mode. */
  noWorker: boolean;
  /** The process environment (overrides of `[vars]`, PYRITE_MODEL, PYRITE_API_TOKEN). */
  env: NodeJS.ProcessEnv;
  /** Diagnostics (model loading, warnings): stderr. */
  warn: (line: string) => void;
}

/** A running server. */
export interface RunningServer {
  url: string;
  /** The effective `[vars]` (after environment overrides). */
  vars: Record<string, string>;
  embedder: ResolvedEmbedder;
  /** The worker's view of its embedder and state, read once started. */
  status: LauncherStatus;
  /** Pauses, drains (bounded) and disposes everything. */
  stop(options?: { drainTimeoutMs?: number }): Promise<DrainReport>;
}

const CRON_PERIOD_MS = 60_000;

/** Fails with a clear line if `host:port` is taken (workerd's own failure is a wall of text). */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((done, fail) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      fail(
        new StartupError(
          error.code === "EADDRINUSE"
            ? `port ${port} on ${host} is already in use (another pyrite server?); choose another with --port or PORT`
            : `cannot listen on ${host}:${port} (${error.code ?? error.message})`,
        ),
      );
    });
    probe.listen(port, host, () => probe.close(() => done()));
  });
}

async function loadEmbedder(options: LaunchOptions): Promise<ResolvedEmbedder> {
  try {
    return await useEmbedder(options.env, options.warn);
  } catch (error) {
    throw new StartupError(`cannot load the embedding model: ${oneLine(error)}`);
  }
}

/**
 * wrangler and Miniflare take ≈1.5 s to import: loaded while the bundler child process runs, and
 * without the signal handlers wrangler registers on import (they would exit before draining).
 */
function loadRuntimeModules() {
  return withoutNewSignalListenersAsync(async () => {
    const [miniflare, options, config] = await Promise.all([
      import("miniflare"),
      import("./miniflare-options.js"),
      import("./wrangler-config.js"),
    ]);
    // Named one by one, not spread, so that what is used from each module can be traced.
    return {
      Miniflare: miniflare.Miniflare,
      buildMiniflareOptions: options.buildMiniflareOptions,
      readMigrationSources: config.readMigrationSources,
      applyMigrations: config.applyMigrations,
      readCrons: config.readCrons,
    };
  });
}

function parseEmbedderNice(value: string | undefined): number {
  try {
    return embedderNice(value);
  } catch (error) {
    throw new StartupError(oneLine(error));
  }
}

/** Starts the server; throws StartupError for anything the user can fix. */
export async function launchServer(options: LaunchOptions): Promise<RunningServer> {
  await prepareStateDir(options.stateDir);
  // Before anything opens the directory's SQLite files: one server per state directory.
  const lock = await lockStateDir(options.stateDir);
  try {
    return await launchLocked(options, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Starts the server in a state directory whose lock it holds; the stop releases the lock. */
async function launchLocked(options: LaunchOptions, lock: StateLock): Promise<RunningServer> {
  await assertPortFree(options.host, options.port);
  const nice = parseEmbedderNice(options.env.PYRITE_EMBEDDER_NICE);
  // Bundling (a child process, ≈1.3 s unless cached), importing the runtime and loading the model
  // are independent: overlap them.
  const bundling = bundleWorker();
  bundling.catch(() => undefined);
  const { Miniflare, buildMiniflareOptions, readMigrationSources, applyMigrations, readCrons } =
    await loadRuntimeModules();
  const [embedder, scriptPath] = await Promise.all([loadEmbedder(options), bundling]);
  const hosts = bindHosts(options.host, options.env);
  for (const line of hosts.warnings) options.warn(line);
  const forced: Record<string, string> = options.noWorker ? { EMBED_MODE: "sync" } : {};
  if (hosts.allowedHosts) forced.ALLOWED_HOSTS = hosts.allowedHosts;
  const runtimeDir = await mkdtemp(join(tmpdir(), "pyrite-runtime-"));
  await guardRuntime(runtimeDir);
  const { options: mfOptions, vars } = buildMiniflareOptions({
    scriptPath,
    stateDir: options.stateDir,
    host: options.host,
    port: options.port,
    env: options.env,
    forced,
    embedder: createEmbedderHandler(embedder.embedder, nodeModelLoader(options.env, options.warn)),
  });
  // Miniflare's constructor registers SIGINT/SIGTERM handlers that dispose and exit at once; the
  // process owner (serve.ts) drains first, so those are taken back out.
  const mf = withoutNewSignalListeners(() => new Miniflare(mfOptions));
  let cron: NodeJS.Timeout | undefined;
  const disposeAll = async () => {
    if (cron) clearInterval(cron);
    await mf.dispose().catch(() => undefined);
    await rm(runtimeDir, { recursive: true, force: true });
    await lock.release();
  };
  try {
    let url: URL;
    try {
      url = await mf.ready;
    } catch (error) {
      throw new StartupError(
        `the Workers runtime failed to start on ${options.host}:${options.port}: ${oneLine(error)}`,
      );
    }
    // workerd runs at the default priority; from here on the embedder yields the CPU to it.
    lowerOwnPriority(nice);
    for (const source of readMigrationSources()) {
      const applied = await applyMigrations(await mf.getD1Database(source.binding), source);
      if (applied.length > 0) options.warn(`applied D1 migrations: ${applied.join(", ")}`);
    }
    const api = workerApi(mf, vars.PYRITE_API_TOKEN);
    const background = vars.EMBED_MODE === "background";
    if (background) await resumeAfterShutdown({ api, stateDir: options.stateDir });
    if (background) {
      // The model this server started with may not be the one the index serves: say what happens.
      const adopted = await api<{ message: string }>("POST", "/api/index/adopt-primary");
      options.warn(`index: ${adopted.message}`);
    }
    const status = await api<LauncherStatus>("GET", "/api/index/embed-status");

    const crons = readCrons();
    const worker = await mf.getWorker();
    const tick = () => {
      for (const c of crons) {
        worker.scheduled({ cron: c, scheduledTime: new Date() }).catch((error: unknown) => {
          options.warn(`scheduled handler failed: ${oneLine(error)}`);
        });
      }
    };
    if (crons.length > 0) {
      // Once now, so an alarm lost by a hard kill is re-armed at once, then every minute.
      tick();
      cron = setInterval(tick, CRON_PERIOD_MS);
      cron.unref();
    }

    let stopping: Promise<DrainReport> | undefined;
    const stop = (stopOptions?: { drainTimeoutMs?: number }) => {
      stopping ??= (async () => {
        if (cron) clearInterval(cron);
        try {
          return await drainForShutdown({
            api,
            stateDir: options.stateDir,
            background,
            timeoutMs: stopOptions?.drainTimeoutMs,
            warn: options.warn,
          });
        } finally {
          await disposeAll();
        }
      })();
      return stopping;
    };
    return { url: url.href.replace(/\/$/, ""), vars, embedder, status, stop };
  } catch (error) {
    await disposeAll();
    throw error;
  }
}
