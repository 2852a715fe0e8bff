/**
 * The state directory (persisted D1 and Durable Object storage) and the launcher's own record in
 * it: whether the last stop paused the worker (then this start resumes it) or a user had paused it
 * before the stop (then it stays paused).
 */
import { constants } from "node:fs";
import { access, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StartupError } from "./errors.js";

/** The launcher's record, `<state>/pyrite-server.json`. */
export interface ServerRecord {
  /** True from just before a shutdown pauses the worker until the next start resumes it. */
  pausedForShutdown: boolean;
}

const RECORD_FILE = "pyrite-server.json";

function reason(error: unknown): string {
  if (error instanceof Error && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates the state directory if needed and proves it readable and writable, so a bad directory
 * is one clear line now rather than a storage error deep inside workerd later.
 */
export async function prepareStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new StartupError(`state directory ${dir} cannot be created (${reason(error)})`);
  }
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error("ENOTDIR");
    await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    // access() says yes to root everywhere; an actual write is the only honest test.
    const probe = join(dir, `.pyrite-probe-${process.pid}`);
    await writeFile(probe, "");
    await rm(probe);
  } catch (error) {
    throw new StartupError(
      `state directory ${dir} is not readable and writable (${reason(error)})`,
    );
  }
}

/** Reads the record; a missing or unreadable one means "nothing to undo". */
export async function readServerRecord(dir: string): Promise<ServerRecord> {
  try {
    const value: unknown = JSON.parse(await readFile(join(dir, RECORD_FILE), "utf8"));
    const paused =
      typeof value === "object" && value !== null && "pausedForShutdown" in value
        ? value.pausedForShutdown === true
        : false;
    return { pausedForShutdown: paused };
  } catch {
    return { pausedForShutdown: false };
  }
}

/** Writes the record. */
export async function writeServerRecord(dir: string, record: ServerRecord): Promise<void> {
  await writeFile(join(dir, RECORD_FILE), `${JSON.stringify(record)}\n`);
}
