/** The state directory's lock: one server per directory, a dead holder's lock taken over. */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCK_FILE, lockStateDir } from "../../../src/server/state-lock.js";
import { removeDir, tempDir } from "../../support/server.js";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => removeDir(dir)));
});

async function stateDir(): Promise<string> {
  const dir = await tempDir("pyrite-lock-");
  dirs.push(dir);
  return dir;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((done) => child.once("exit", done));
  if (child.pid === undefined) throw new Error("no pid");
  return child.pid;
}

describe("state directory lock", () => {
  it("refuses a second holder, naming the first one's pid and start time", async () => {
    const dir = await stateDir();
    const first = await lockStateDir(dir, () => new Date("2026-01-02T03:04:05.000Z"));
    await expect(lockStateDir(dir)).rejects.toThrow(
      `in use by another pyrite server (pid ${process.pid}, started 2026-01-02T03:04:05.000Z)`,
    );
    await first.release();
    const again = await lockStateDir(dir);
    await again.release();
  });

  it("takes over the lock of a process that died", async () => {
    const dir = await stateDir();
    const pid = await deadPid();
    const path = join(dir, LOCK_FILE);
    await writeFile(path, JSON.stringify({ pid, startedAt: "2026-01-01T00:00:00.000Z" }));
    const lock = await lockStateDir(dir);
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ pid: process.pid });
    await lock.release();
    await expect(readFile(path, "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("does not take a lock that is still being written", async () => {
    const dir = await stateDir();
    await writeFile(join(dir, LOCK_FILE), "");
    await expect(lockStateDir(dir)).rejects.toThrow("a server that is starting now");
  });

  it("a release never removes another holder's lock", async () => {
    const dir = await stateDir();
    const lock = await lockStateDir(dir);
    const path = join(dir, LOCK_FILE);
    const other = JSON.stringify({ pid: process.pid, startedAt: "2030-01-01T00:00:00.000Z" });
    await writeFile(path, other);
    await lock.release();
    expect(await readFile(path, "utf8")).toBe(other);
  });
});
