/**
 * The graceful stop: pause the EmbedWorker (it finishes the batch in hand and claims nothing new),
 * then wait, bounded, until no queue row is `processing`. The pause is recorded first so the next
 * start resumes the worker, unless a user had paused it before the stop (then it stays paused).
 */
import { oneLine } from "./errors.js";
import { readServerRecord, writeServerRecord } from "./state-dir.js";
import type { LauncherStatus, WorkerApi } from "./worker-api.js";

/** How long a stop waits for the batch in hand, by default. */
const DRAIN_TIMEOUT_MS = 30_000;
const POLL_MS = 250;

/** What a drain found. */
export interface DrainReport {
  /** True when no row was left `processing`. */
  drained: boolean;
  /** Rows still `processing` at the end (their leases recover on the next start). */
  processing: number;
  /** True when the worker had been paused by a user before the stop. */
  userPaused: boolean;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Pauses the worker for shutdown and waits until nothing is `processing`. */
export async function drainForShutdown(options: {
  api: WorkerApi;
  stateDir: string;
  background: boolean;
  timeoutMs?: number;
  warn: (line: string) => void;
}): Promise<DrainReport> {
  const { api, warn } = options;
  const deadline = Date.now() + (options.timeoutMs ?? DRAIN_TIMEOUT_MS);
  const remaining = () => Math.max(1, deadline - Date.now());
  let userPaused = false;
  if (options.background) {
    try {
      const before = await api<LauncherStatus>(
        "GET",
        "/api/index/embed-status",
        AbortSignal.timeout(remaining()),
      );
      userPaused = before.worker.state === "paused";
      if (!userPaused) {
        // Recorded before pausing: a crash between the two must still resume on the next start.
        await writeServerRecord(options.stateDir, { pausedForShutdown: true });
        await api("POST", "/api/index/embed/pause", AbortSignal.timeout(remaining()));
      } else if ((await readServerRecord(options.stateDir)).pausedForShutdown) {
        // A stale record must not resume a pause the user chose.
        await writeServerRecord(options.stateDir, { pausedForShutdown: false });
      }
    } catch (error) {
      warn(`could not pause the embed worker: ${oneLine(error)}`);
    }
  }
  let processing = -1;
  for (;;) {
    try {
      const status = await api<LauncherStatus>(
        "GET",
        "/api/index/embed-status",
        AbortSignal.timeout(remaining()),
      );
      processing = status.processing;
    } catch (error) {
      warn(`could not read the queue status: ${oneLine(error)}`);
    }
    if (processing === 0 || Date.now() >= deadline) break;
    await sleep(Math.min(POLL_MS, remaining()));
  }
  return { drained: processing === 0, processing: Math.max(0, processing), userPaused };
}

/**
 * On start: resume the worker if the last stop paused it; report a pause a user chose.
 * Returns the worker's state after this.
 */
export async function resumeAfterShutdown(options: {
  api: WorkerApi;
  stateDir: string;
}): Promise<string> {
  const { api, stateDir } = options;
  const record = await readServerRecord(stateDir);
  if (record.pausedForShutdown) {
    await api("POST", "/api/index/embed/resume");
    await writeServerRecord(stateDir, { pausedForShutdown: false });
  }
  const status = await api<LauncherStatus>("GET", "/api/index/embed-status");
  return status.worker.state;
}
