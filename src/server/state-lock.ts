/**
 * One server per state directory. Two launchers on one directory would both open the same SQLite
 * files (D1, Durable Object storage) and each run its own EmbedWorker over them; the second one
 * must stop at once, naming the holder. A lock left by a process that died (a hard kill, a
 * crash) is taken over.
 */
import { open, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { StartupError } from "./errors.js";

/** The lock file, `<state>/pyrite-server.lock`: the holder's pid and start time, as JSON. */
export const LOCK_FILE = "pyrite-server.lock";

/** Who holds the lock. */
export interface LockHolder {
  pid: number;
  /** ISO 8601. */
  startedAt: string;
}

/** A held lock. */
export interface StateLock {
  /** Removes the lock file if it is still ours; idempotent. */
  release(): Promise<void>;
}

/** An unreadable lock younger than this may be one being written right now: not stale yet. */
const WRITING_GRACE_MS = 10_000;
const MAX_TRIES = 3;

function isHolder(value: unknown): value is LockHolder {
  if (typeof value !== "object" || value === null) return false;
  const { pid, startedAt } = value as Record<string, unknown>;
  return (
    Number.isInteger(pid) && typeof pid === "number" && pid > 0 && typeof startedAt === "string"
  );
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The holder named in the lock file; null when it is missing or unreadable. */
async function readHolder(path: string): Promise<LockHolder | null> {
  try {
    const value: unknown = JSON.parse(await readFile(path, "utf8"));
    return isHolder(value) ? value : null;
  } catch {
    return null;
  }
}

/** Whether the existing lock at `path` may be taken over: its holder is gone. */
async function isStale(path: string, holder: LockHolder | null): Promise<boolean> {
  if (holder) return holder.pid !== process.pid && !alive(holder.pid);
  try {
    return Date.now() - (await stat(path)).mtimeMs > WRITING_GRACE_MS;
  } catch {
    return true; // gone meanwhile: try again
  }
}

/**
 * Takes the state directory's lock, or throws a StartupError naming the live holder (pid and
 * start time). The directory must exist.
 */
export async function lockStateDir(
  dir: string,
  now: () => Date = () => new Date(),
): Promise<StateLock> {
  const path = join(dir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, startedAt: now().toISOString() };
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    try {
      // `wx`: created only if absent, atomically; of two launchers, exactly one gets here.
      const handle = await open(path, "wx");
      try {
        await handle.writeFile(`${JSON.stringify(mine)}\n`);
      } finally {
        await handle.close();
      }
      return { release: () => releaseIfOurs(path, mine) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new StartupError(`cannot lock state directory ${dir} (${String(error)})`);
      }
    }
    const holder = await readHolder(path);
    if (!(await isStale(path, holder))) {
      const who = holder
        ? `pid ${holder.pid}, started ${holder.startedAt}`
        : "a server that is starting now";
      throw new StartupError(
        `state directory ${dir} is in use by another pyrite server (${who}); stop it, or choose another --state (if no such server runs, delete ${path})`,
      );
    }
    // The holder died without releasing: remove its lock and race for a fresh one above.
    await rm(path, { force: true });
  }
  throw new StartupError(`cannot lock state directory ${dir}: other servers keep taking it`);
}

async function releaseIfOurs(path: string, mine: LockHolder): Promise<void> {
  const holder = await readHolder(path);
  if (holder?.pid === mine.pid && holder.startedAt === mine.startedAt) {
    await rm(path, { force: true });
  }
}
