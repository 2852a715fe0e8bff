/**
 * Ties workerd's life to the launcher's, on Linux. Miniflare spawns workerd in the launcher's
 * process group, so Ctrl-C in a terminal would kill workerd at once and leave nothing to drain; and
 * a hard-killed launcher would leave workerd running, holding the port and the state directory.
 * A wrapper (found by Miniflare through MINIFLARE_WORKERD_PATH) starts workerd ignoring SIGINT
 * (Ctrl-C reaches the launcher, which drains and then stops workerd; workerd installs no SIGINT
 * handler of its own, so the ignore survives exec) with a parent-death signal (`setpriv
 * --pdeathsig KILL`: workerd dies with the launcher). workerd deliberately stays in the launcher's
 * session: Linux shares the CPU fairly between sessions (autogroups) before it looks at nice
 * values, so in a session of its own workerd would compete with the embedder as an equal and the
 * embedder's lower priority (embedder-priority.ts) would do nothing for writes.
 * Where setpriv is missing (macOS), workerd is started as Miniflare would start it.
 */
import { execFileSync } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";

function hasTool(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The workerd binary Miniflare would run (its own dependency's). */
function workerdBinary(): string | undefined {
  const fromMiniflare = createRequire(createRequire(import.meta.url).resolve("miniflare"));
  const workerd: unknown = fromMiniflare("workerd");
  if (typeof workerd === "object" && workerd !== null && "default" in workerd) {
    return typeof workerd.default === "string" ? workerd.default : undefined;
  }
  return undefined;
}

/** A workerd chosen by the user (read before this module sets its own). */
const userWorkerd = process.env.MINIFLARE_WORKERD_PATH;

const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * Writes the wrapper into `dir` and points Miniflare at it. Returns false (and changes nothing)
 * where it cannot be done.
 */
export async function guardRuntime(dir: string): Promise<boolean> {
  if (process.platform !== "linux" || userWorkerd) return false;
  const binary = workerdBinary();
  if (binary === undefined || !hasTool("setpriv")) return false;
  const wrapper = join(dir, "workerd-guarded.sh");
  // `exec`: Miniflare's pid is workerd's own, so the parent-death signal follows the launcher.
  await writeFile(
    wrapper,
    `#!/bin/sh\ntrap '' INT\nexec setpriv --pdeathsig KILL -- ${quote(binary)} "$@"\n`,
  );
  await chmod(wrapper, 0o755);
  process.env.MINIFLARE_WORKERD_PATH = wrapper;
  return true;
}
